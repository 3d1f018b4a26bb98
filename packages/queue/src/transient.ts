/**
 * While waiting for a job, a status or result request that fails for a passing reason (a reset,
 * a 5xx on the status route, a 429, a garbled body) says nothing about the job. Such failures
 * slow the waiting down and are tried again; only the job's own deadline (the `timeout`), or
 * without one `polling.failureToleranceMs` of failures in a row, ends the wait. These retries
 * spend no client-wide budget: that budget protects submits.
 */
import type { Clock } from "./clock.js";
import { ConnectionError, FluxkitError, ProtocolError, RateLimitError, ServerError } from "./errors.js";
import { backoffDelay, type RetryOptions } from "./retry.js";

export type FollowUpRoute = "status" | "result";

/** Whether a failed follow-up may succeed when simply asked again later. */
export function isTransient(error: unknown, route: FollowUpRoute): boolean {
  if (!(error instanceof FluxkitError)) return false;
  if (error instanceof ConnectionError || error instanceof RateLimitError) return true;
  // Malformed JSON or an unknown status value is retryable; a body over its cap is not.
  if (error instanceof ProtocolError) return error.retryable;
  // A failed status request is not a failed job; on the result route a non-retryable 5xx is the job's own failure.
  if (error instanceof ServerError) return route === "status" || error.retryable;
  return false;
}

export class TransientFailures {
  #since: number | undefined;
  #count = 0;

  /**
   * `toleranceMs`: how long failures may last in a row; undefined when a deadline (the caller's
   * timeout) bounds the wait instead. `retry: false` turns tolerance off.
   */
  constructor(
    private readonly clock: Clock,
    private readonly retry: RetryOptions | false,
    private readonly random: () => number,
    private readonly toleranceMs: number | undefined,
  ) {}

  /** The wait before trying again, or undefined when `error` must end the wait. */
  next(error: unknown, route: FollowUpRoute): number | undefined {
    const retry = this.retry;
    if (retry === false || !isTransient(error, route)) return undefined;
    const now = this.clock.now();
    this.#since ??= now;
    if (this.toleranceMs !== undefined && now - this.#since >= this.toleranceMs) return undefined;
    const backoff = backoffDelay(Math.min(this.#count, 16), retry, this.random);
    this.#count++;
    const hinted = error instanceof RateLimitError ? error.retryAfterMs : undefined;
    return hinted === undefined ? backoff : Math.min(Math.max(hinted, backoff), retry.maxRetryAfterMs);
  }

  /** A request succeeded: the next failure starts a new streak. */
  reset(): void {
    this.#since = undefined;
    this.#count = 0;
  }
}
