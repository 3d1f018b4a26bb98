/** Configuration values shared by the in-process API and the CLI, and their parsing. */
import { type AuthScheme, isProviderName, type ProviderName, providerNames, providerPresets } from "@fluxkit/protocol";

export type { AuthScheme, ProviderName };

/** The providers the emulator can play (the table in @fluxkit/protocol, from specs/providers.yaml). */
export const PROVIDERS: readonly ProviderName[] = providerNames;

/** The auth scheme each provider plays: gateways take Bearer, fal takes Key. */
export const PROVIDER_AUTH = Object.fromEntries(providerNames.map((name) => [name, providerPresets[name].auth])) as Readonly<Record<ProviderName, AuthScheme>>;

/**
 * How long a job waits and runs. `manual: true` keeps running jobs IN_PROGRESS until
 * `emulator.finish()` is called, so tests can observe every stage without timing.
 */
export interface LatencySettings {
  /** Delay between a slot freeing up and the next queued job starting. */
  readonly startMs: number;
  /** Time a job spends IN_PROGRESS. */
  readonly runMs: number;
  /** Number of progress log lines emitted while running (spread over runMs). */
  readonly progressSteps: number;
  readonly manual: boolean;
}

export const LATENCY_PROFILES = {
  instant: { startMs: 0, runMs: 0, progressSteps: 0, manual: false },
  fast: { startMs: 5, runMs: 50, progressSteps: 2, manual: false },
  realistic: { startMs: 400, runMs: 4000, progressSteps: 8, manual: false },
  manual: { startMs: 0, runMs: 0, progressSteps: 0, manual: true },
} as const satisfies Record<string, LatencySettings>;

export type LatencyProfileName = keyof typeof LATENCY_PROFILES;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** The option or flag at fault, e.g. "--provider". */
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

const LATENCY_HELP = 'expected instant, fast, realistic, manual, a run time in ms (e.g. "250"), or "start=<ms>,run=<ms>[,steps=<n>]"';

/** Accepts a profile name, a run time in ms, or `start=..,run=..,steps=..`. */
export function parseLatency(value: string | LatencySettings, option = "latency"): LatencySettings {
  if (typeof value !== "string") return checkLatency(value, option);
  const text = value.trim();
  if (text in LATENCY_PROFILES) return LATENCY_PROFILES[text as LatencyProfileName];
  if (/^\d+$/.test(text)) return { startMs: 0, runMs: Number(text), progressSteps: 2, manual: false };
  const settings = { startMs: 0, runMs: 0, progressSteps: 2, manual: false };
  for (const part of text.split(",")) {
    const match = /^(start|run|steps)=(\d+)$/.exec(part.trim());
    if (match === null) throw new ConfigError(option, `Invalid ${option} "${value}": ${LATENCY_HELP}.`);
    const n = Number(match[2]);
    if (match[1] === "start") settings.startMs = n;
    else if (match[1] === "run") settings.runMs = n;
    else settings.progressSteps = n;
  }
  return settings;
}

function checkLatency(value: LatencySettings, option: string): LatencySettings {
  for (const key of ["startMs", "runMs", "progressSteps"] as const) {
    const n = value[key];
    if (!Number.isFinite(n) || n < 0) {
      throw new ConfigError(option, `Invalid ${option}.${key} ${String(n)}: expected a number >= 0.`);
    }
  }
  return value;
}

export function parseProvider(value: string, option = "provider"): ProviderName {
  if (isProviderName(value)) return value;
  throw new ConfigError(option, `Invalid ${option} "${value}": expected one of ${PROVIDERS.join(", ")}.`);
}

export function parseInteger(value: string | number, option: string, min: number, max: number): number {
  const n = typeof value === "number" ? value : /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(option, `Invalid ${option} "${String(value)}": expected an integer from ${min} to ${max}.`);
  }
  return n;
}
