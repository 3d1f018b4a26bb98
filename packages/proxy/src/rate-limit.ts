/**
 * A ready-made `rateLimit` hook: at most `max` submits per caller per window, in this process's
 * memory. Follow-ups (status, result, cancel) are not counted: they cost nothing upstream. Several
 * server instances need a shared store instead (write your own hook over it, same signature).
 */
import type { RateLimit } from "./options.js";

export interface SubmitLimiterOptions {
  /** Submits allowed per caller in each window. */
  readonly max: number;
  /** Window length in ms; default one minute. */
  readonly windowMs?: number;
  /** Injectable time (tests). */
  readonly now?: () => number;
}

export function createSubmitLimiter(options: SubmitLimiterOptions): RateLimit {
  const { max } = options;
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`createSubmitLimiter: max must be a whole number ≥ 1, got ${String(max)}.`);
  if (!(windowMs > 0)) throw new RangeError(`createSubmitLimiter: windowMs must be positive, got ${String(windowMs)}.`);
  const windows = new Map<string, { start: number; count: number }>();
  let lastSweep = now();
  return ({ caller, route }) => {
    if (route !== "submit") return { allowed: true };
    const at = now();
    // Forget finished windows now and then, so idle callers do not accumulate.
    if (at - lastSweep > windowMs) {
      for (const [key, w] of windows) if (at - w.start >= windowMs) windows.delete(key);
      lastSweep = at;
    }
    let window = windows.get(caller);
    if (window === undefined || at - window.start >= windowMs) {
      window = { start: at, count: 0 };
      windows.set(caller, window);
    }
    if (window.count >= max) {
      return { allowed: false, retryAfterSeconds: Math.ceil((window.start + windowMs - at) / 1000), message: `${max} submits per ${windowMs / 1000} s` };
    }
    window.count++;
    return { allowed: true };
  };
}
