/** How long to wait between status polls: quick at first, backing off, capped, server hints honoured. */
export interface PollingOptions {
  /** First wait. Default 250 ms. */
  readonly initialIntervalMs: number;
  /** Cap. Default 2 s: FLUX jobs take seconds, and half the cap is the expected extra wait. */
  readonly maxIntervalMs: number;
  /** Growth per poll. Default 1.5. */
  readonly factor: number;
}

export const defaultPollingOptions: PollingOptions = {
  initialIntervalMs: 250,
  maxIntervalMs: 2000,
  factor: 1.5,
};

// A server hint beyond this is treated as a mistake rather than obeyed.
const MAX_HINT_MS = 60_000;

export class PollSchedule {
  #current: number;
  constructor(private readonly options: PollingOptions) {
    this.#current = options.initialIntervalMs;
  }

  /** The next wait. A server hint (e.g. `Retry-After` on a 202) replaces the computed one. */
  next(hintMs?: number): number {
    if (hintMs !== undefined && Number.isFinite(hintMs) && hintMs >= 0) {
      return Math.min(hintMs, MAX_HINT_MS);
    }
    const wait = this.#current;
    this.#current = Math.min(this.options.maxIntervalMs, Math.round(this.#current * this.options.factor));
    return wait;
  }

  /** Back to quick polling: the job changed state, so the next change may come soon. */
  reset(): void {
    this.#current = this.options.initialIntervalMs;
  }
}
