/**
 * Which failures are retried, and how long to wait. The rules:
 *
 * - Idempotent calls (status, stream open, result, cancel): retried on 429, 502, 503, 504 and
 *   transport errors. Never on a 504 with `X-Fal-Request-Timeout-Type: user` (the caller's own
 *   start deadline passed), never when `X-Fal-Retryable: false`, never on an abort, never on
 *   any other status.
 * - Submit (POST): retried ONLY when the job certainly was not created, because a retried
 *   submit that had in fact been queued is a second paid job. Certain means either
 *     (a) the connection was never established (DNS failure, connection refused, connect
 *         timeout: the request never left this machine), or
 *     (b) a 429 or 503 that explicitly invites a retry (`Retry-After` or `X-Fal-Retryable: true`)
 *         and carries no `request_id` in its body (a refusal, not a queued job).
 *   Never on 502/504 (a gateway may have forwarded the request before failing), resets, or
 *   reads that timed out mid-request.
 * - Delays: exponential backoff with jitter, `Retry-After` honoured (up to `maxRetryAfterMs`;
 *   a longer demand is not retried), and a client-wide retry budget so a failing provider is
 *   not hammered by many concurrent callers.
 */
import { isRecord } from "./is-record.js";

export interface RetryOptions {
  /** Retries per call, after the first attempt. Default 3. */
  readonly maxRetries: number;
  /** First backoff step. Default 500 ms. */
  readonly baseDelayMs: number;
  /** Backoff cap. Default 8 s. */
  readonly maxDelayMs: number;
  /** A longer `Retry-After` is not waited for; the error is thrown instead. Default 60 s. */
  readonly maxRetryAfterMs: number;
  /** Client-wide retry tokens; each retry spends one, each success refunds 0.1. Default 10. */
  readonly budget: number;
}

export const defaultRetryOptions: RetryOptions = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
  budget: 10,
};

const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** The rule for idempotent calls. */
export function isRetryableStatus(status: number, headers: Headers): boolean {
  if (headers.get("x-fal-retryable")?.trim().toLowerCase() === "false") return false;
  if (status === 504 && headers.get("x-fal-request-timeout-type")?.trim().toLowerCase() === "user") {
    return false;
  }
  return RETRYABLE_STATUSES.has(status);
}

/** The submit rule (b): a 429/503 that says the request was refused and may be repeated. */
export function submitWasRefused(status: number, headers: Headers, body: unknown): boolean {
  if (status !== 429 && status !== 503) return false;
  const retryable = headers.get("x-fal-retryable")?.trim().toLowerCase();
  if (retryable === "false") return false;
  const invited = retryable === "true" || headers.has("retry-after");
  const queued = isRecord(body) && typeof body.request_id === "string";
  return invited && !queued;
}

// Error codes (Node/undici) that prove no connection was made, so nothing reached a server.
const NOT_CONNECTED_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "ENETUNREACH", "EHOSTUNREACH"]);

/** The submit rule (a): walks the cause chain for a code proving the request never left. */
export function connectionNeverEstablished(error: unknown, depth = 0): boolean {
  if (depth > 5 || !isRecord(error)) return false;
  if (typeof error.code === "string" && NOT_CONNECTED_CODES.has(error.code)) return true;
  // Happy-eyeballs failures arrive as an AggregateError of per-address errors.
  if (Array.isArray(error.errors) && error.errors.length > 0 && error.errors.every((e: unknown) => connectionNeverEstablished(e, depth + 1))) {
    return true;
  }
  return connectionNeverEstablished(error.cause, depth + 1);
}

// Error codes of a connection the other side closed under us (a keep-alive socket gone stale).
const CONNECTION_RESET_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

/** Whether the cause chain holds a reset of an established connection. */
export function connectionWasReset(error: unknown, depth = 0): boolean {
  if (depth > 5 || !isRecord(error)) return false;
  if (typeof error.code === "string" && CONNECTION_RESET_CODES.has(error.code)) return true;
  return connectionWasReset(error.cause, depth + 1);
}

/** `Retry-After` as delta-seconds or an HTTP date; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so it never collapses to 0. */
export function backoffDelay(retryIndex: number, options: RetryOptions, random: () => number): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retryIndex);
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Token bucket shared by one client: bounds retries when a provider is failing for everyone. */
export class RetryBudget {
  #tokens: number;
  readonly #capacity: number;
  constructor(
    capacity: number,
    private readonly refundPerSuccess = 0.1,
  ) {
    this.#capacity = capacity;
    this.#tokens = capacity;
  }
  get tokens(): number {
    return this.#tokens;
  }
  tryAcquire(): boolean {
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
  onSuccess(): void {
    this.#tokens = Math.min(this.#capacity, this.#tokens + this.refundPerSuccess);
  }
}
