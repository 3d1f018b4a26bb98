import { AbortError, FluxkitError } from "./errors.js";

/** Time, made injectable so tests never wait on a real clock. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects at once (see `abortError`) when `signal` fires. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
  setTimer: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * The error to throw for an aborted signal. Internal aborts (the total timeout) carry a
 * FluxkitError as reason and it is rethrown as is; a caller's abort becomes AbortError.
 */
export function abortError(signal: AbortSignal | undefined): FluxkitError {
  const reason: unknown = signal?.reason;
  if (reason instanceof FluxkitError) return reason;
  return new AbortError("The operation was aborted by the caller's AbortSignal.", { cause: reason });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * A controller that aborts when any parent aborts, with the parent's reason. Hand-rolled
 * because AbortSignal.any is missing on some runtimes still in support.
 */
export function linkedController(...parents: (AbortSignal | undefined)[]): {
  controller: AbortController;
  dispose: () => void;
} {
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  for (const parent of parents) {
    if (parent === undefined) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener("abort", onAbort, { once: true });
    cleanups.push(() => parent.removeEventListener("abort", onAbort));
  }
  return {
    controller,
    dispose: () => {
      for (const cleanup of cleanups) cleanup();
    },
  };
}

/** `clock.sleep`, with any rejection caused by the signal turned into this package's error. */
export async function pause(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw error;
  }
}
