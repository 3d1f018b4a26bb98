import { FluxkitError } from "./errors.js";

/**
 * How long to wait between status polls.
 *
 * Without history: quick at first, backing off, capped. With history (`adaptive`): the client
 * remembers when its recent jobs of the same endpoint completed (ms after submit) and polls
 * across that window instead — never sparser than every 500 ms inside it, only every
 * `maxIntervalMs` before it — then backs off as usual. Server hints (`Retry-After`) always win.
 */
export interface PollingOptions {
  /** First wait. Default 250 ms. */
  readonly initialIntervalMs: number;
  /** Cap. Default 2 s: FLUX jobs take seconds, and half the cap is the expected extra wait. */
  readonly maxIntervalMs: number;
  /** Growth per poll. Default 1.5. */
  readonly factor: number;
  /** Poll around the time this client's recent jobs of the same endpoint completed. Default true. */
  readonly adaptive: boolean;
  /**
   * Without a `timeout`: how long status and result requests may keep failing for passing
   * reasons (resets, 5xx, 429, garbled bodies) before the wait gives up. With a timeout, the
   * timeout alone decides. Default 5 minutes.
   */
  readonly failureToleranceMs: number;
}

export const defaultPollingOptions: PollingOptions = {
  initialIntervalMs: 250,
  maxIntervalMs: 2000,
  factor: 1.5,
  adaptive: true,
  failureToleranceMs: 300_000,
};

/** Defaults filled in, every value checked: a bad option is named here, not discovered mid-job. */
export function resolvePollingOptions(options: Partial<PollingOptions> | undefined): PollingOptions {
  const resolved = { ...defaultPollingOptions, ...options };
  const check = (name: keyof PollingOptions, ok: boolean, expected: string) => {
    if (!ok) throw new FluxkitError(`polling.${name} must be ${expected}, got ${JSON.stringify(resolved[name])}.`);
  };
  const positive = (v: number) => typeof v === "number" && Number.isFinite(v) && v > 0;
  check("initialIntervalMs", positive(resolved.initialIntervalMs), "a positive number of ms");
  check("maxIntervalMs", positive(resolved.maxIntervalMs) && resolved.maxIntervalMs >= resolved.initialIntervalMs, "a number of ms ≥ initialIntervalMs");
  check("factor", typeof resolved.factor === "number" && Number.isFinite(resolved.factor) && resolved.factor >= 1, "a number ≥ 1");
  check("adaptive", typeof resolved.adaptive === "boolean", "true or false");
  check("failureToleranceMs", typeof resolved.failureToleranceMs === "number" && resolved.failureToleranceMs >= 0, "a number of ms ≥ 0");
  return resolved;
}

// A server hint beyond this is treated as a mistake rather than obeyed.
const MAX_HINT_MS = 60_000;

/** When recent jobs of one endpoint completed, in ms after their submit: not before `earliest`, by `latest`. */
export interface CompletionWindow {
  readonly earliest: number;
  readonly latest: number;
}

// Samples kept per endpoint (recent ones matter: inputs and load change), the fewest that make
// a window, and endpoints remembered per client.
const SAMPLES_PER_ENDPOINT = 8;
const MIN_SAMPLES = 3;
const MAX_ENDPOINTS = 128;

/**
 * Completion times of this client's recent jobs, per endpoint. A poll only brackets a completion
 * (after the last look that saw the job unfinished, by the look that saw it done), so each sample
 * is that bracket; a stream gives an exact one.
 */
export class CompletionHistory {
  readonly #samples = new Map<string, CompletionWindow[]>();

  record(endpointId: string, after: number, by: number): void {
    if (!(Number.isFinite(after) && Number.isFinite(by) && after >= 0 && by >= after)) return;
    let samples = this.#samples.get(endpointId);
    if (samples === undefined) {
      if (this.#samples.size >= MAX_ENDPOINTS) this.#samples.delete(this.#samples.keys().next().value as string);
      samples = [];
      this.#samples.set(endpointId, samples);
    }
    samples.push({ earliest: after, latest: by });
    if (samples.length > SAMPLES_PER_ENDPOINT) samples.shift();
  }

  /** Where recent jobs completed: undefined until there are enough samples; with a full set, one outlier on each side is ignored. */
  window(endpointId: string): CompletionWindow | undefined {
    const samples = this.#samples.get(endpointId);
    if (samples === undefined || samples.length < MIN_SAMPLES) return undefined;
    const trim = samples.length >= SAMPLES_PER_ENDPOINT ? 1 : 0;
    const earliest = samples.map((s) => s.earliest).sort((a, b) => a - b)[trim] as number;
    const latest = samples.map((s) => s.latest).sort((a, b) => b - a)[trim] as number;
    return { earliest, latest: Math.max(earliest, latest) };
  }
}

// Poll spacing inside a completion window: two fifths of its width, within these bounds. The
// brackets the next jobs record are then narrower than the window was, so it tightens towards
// the jobs' real spread; wider spacing would save requests but let the window grow back.
const MIN_STEP_MS = 100;
const MAX_STEP_MS = 500;

interface Plan {
  /** The window, ms after submit, polled every `step`. */
  readonly from: number;
  readonly to: number;
  readonly step: number;
}

export class PollSchedule {
  #current: number;
  #plan: Plan | undefined;

  /**
   * `elapsed` is the time since the job was submitted; `window` where this endpoint's recent
   * jobs completed. Without both, the plain backoff applies.
   */
  constructor(
    private readonly options: PollingOptions,
    window?: CompletionWindow,
    private readonly elapsed?: () => number,
  ) {
    this.#current = options.initialIntervalMs;
    if (options.adaptive && window !== undefined && elapsed !== undefined) {
      const width = window.latest - window.earliest;
      const step = Math.round(Math.min(MAX_STEP_MS, options.maxIntervalMs, Math.max(MIN_STEP_MS, width / 2.5)));
      // Subscribing after the window has passed: nothing to plan.
      if (elapsed() <= window.latest) this.#plan = { from: window.earliest, to: window.latest, step };
    }
  }

  /**
   * The wait before the first poll. Counted from the submit when it is known (its answer was a
   * status, so looking again at once tells nothing new); none for a job resumed later.
   */
  first(): number {
    const now = this.elapsed?.();
    if (now === undefined) return 0;
    const at = this.#planned(now, false);
    if (at !== undefined) return Math.round(at - now);
    if (now >= this.options.initialIntervalMs) return 0;
    this.next();
    return Math.round(this.options.initialIntervalMs - now);
  }

  /** The next wait. A server hint (e.g. `Retry-After` on a 202) replaces the computed one. */
  next(hintMs?: number): number {
    if (hintMs !== undefined && Number.isFinite(hintMs) && hintMs >= 0) {
      return Math.min(hintMs, MAX_HINT_MS);
    }
    const plan = this.#plan;
    const now = this.elapsed?.();
    if (plan !== undefined && now !== undefined) {
      const at = this.#planned(now, true);
      if (at !== undefined) return Math.round(at - now);
      // Past the window: back off from the window's spacing.
      this.#plan = undefined;
      this.#current = plan.step;
    }
    const wait = this.#current;
    this.#current = Math.min(this.options.maxIntervalMs, Math.round(this.#current * this.options.factor));
    return wait;
  }

  /**
   * The planned look after `now` (at or after, for the first). Inside the window: every `step`.
   * Before it: every `maxIntervalMs`, counted back from its start, so a job far quicker than its
   * predecessors is still seen within the cap — never later than the plain backoff would.
   * Grid points rather than waits, so time spent in requests does not shift the looks.
   */
  #planned(now: number, strict: boolean): number | undefined {
    const plan = this.#plan;
    if (plan === undefined) return undefined;
    const later = (at: number) => (strict ? at > now : at >= now);
    if (now < plan.from) {
      const cap = this.options.maxIntervalMs;
      const at = plan.from - Math.floor((plan.from - now) / cap) * cap;
      // Not sooner after the submit than the plain schedule's first look.
      return later(at) && at >= this.options.initialIntervalMs ? at : at + cap;
    }
    const j = Math.ceil((now - plan.from) / plan.step);
    const at = plan.from + j * plan.step;
    const look = later(at) ? at : at + plan.step;
    return look <= plan.to ? look : undefined;
  }

  /** The job changed state: quick polling again, since the next change may come soon (a plan already polls densely). */
  reset(): void {
    if (this.#plan === undefined) this.#current = this.options.initialIntervalMs;
  }

  /** Still queued once the window has opened: the job is behind the usual time, so the window no longer applies. */
  queued(): void {
    const now = this.elapsed?.();
    if (this.#plan !== undefined && now !== undefined && now >= this.#plan.from) this.#plan = undefined;
  }
}
