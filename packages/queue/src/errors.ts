import type { InputIssue } from "@fluxkit/protocol";

export interface FluxkitErrorOptions {
  /** HTTP status, when the error came from a response. */
  readonly status?: number | undefined;
  /** The queue request id (or `x-fal-request-id`), when known. */
  readonly requestId?: string | undefined;
  /** `X-Fal-Error-Type` / `error_type`, when the server said. */
  readonly errorType?: string | undefined;
  /** Whether repeating the same call is safe and may succeed. */
  readonly retryable?: boolean | undefined;
  /**
   * A submit whose outcome is unknown: the job may have been created (and may cost). Check
   * with `requestId` when there is one before submitting again.
   */
  readonly jobMayExist?: boolean | undefined;
  /** The server's `detail` (or body), already redacted. */
  readonly detail?: unknown;
  readonly cause?: unknown;
}

/** Base class of every error this package throws. */
export class FluxkitError extends Error {
  override readonly name: string = "FluxkitError";
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly errorType: string | undefined;
  readonly retryable: boolean;
  /** True when a submit may have created a job although it failed: look before submitting again. */
  readonly jobMayExist: boolean;
  readonly detail: unknown;

  constructor(message: string, options: FluxkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.requestId = options.requestId;
    this.errorType = options.errorType;
    this.retryable = options.retryable ?? false;
    this.jobMayExist = options.jobMayExist ?? false;
    this.detail = options.detail;
  }
}

/**
 * A FluxkitError class whose constructor keeps its second argument as `field`:
 * `new ValidationError(message, issues, options)` has `.issues`.
 */
function errorWith<F extends string, T>(field: F) {
  return class extends FluxkitError {
    constructor(message: string, value: T, options: FluxkitErrorOptions = {}) {
      super(message, options);
      (this as Record<string, unknown>)[field] = value;
    }
  } as unknown as new (
    message: string,
    value: T,
    options?: FluxkitErrorOptions,
  ) => FluxkitError & { readonly [K in F]: T };
}

/** Input rejected, locally by the endpoint's validator (nothing sent) or by the server (422). */
export class ValidationError extends errorWith<"issues", readonly InputIssue[]>("issues") {
  override readonly name: string = "ValidationError";
}

/** 401/403, or no token configured. */
export class AuthenticationError extends FluxkitError {
  override readonly name: string = "AuthenticationError";
}

/** 429. `retryAfterMs` is the server's `Retry-After`, if it sent one. */
export class RateLimitError extends errorWith<"retryAfterMs", number | undefined>("retryAfterMs") {
  override readonly name: string = "RateLimitError";
}

/** 5xx from the provider. */
export class ServerError extends FluxkitError {
  override readonly name: string = "ServerError";
}

/** Any other 4xx (400, 404, 405, …). */
export class RequestError extends FluxkitError {
  override readonly name: string = "RequestError";
}

export interface TimeoutErrorOptions extends FluxkitErrorOptions {
  /** The server answered the cancel sent when the timeout passed. */
  readonly cancelConfirmed?: boolean | undefined;
  readonly cancelOutcome?: "CANCELLATION_REQUESTED" | "ALREADY_COMPLETED" | undefined;
}

/** The total `timeout` passed, or the start deadline (`X-Fal-Request-Timeout`) did (504, type user). */
export class TimeoutError extends FluxkitError {
  override readonly name: string = "TimeoutError";
  /**
   * Whether the server confirmed the cancel sent within the timeout. False when no job was
   * known (see `jobMayExist`) or the cancel failed or ran out of time: the job may still run.
   */
  readonly cancelConfirmed: boolean;
  /** The cancel's answer, when confirmed. */
  readonly cancelOutcome: "CANCELLATION_REQUESTED" | "ALREADY_COMPLETED" | undefined;
  constructor(message: string, options: TimeoutErrorOptions = {}) {
    super(message, options);
    this.cancelConfirmed = options.cancelConfirmed ?? false;
    this.cancelOutcome = options.cancelOutcome;
  }
}

/** The caller's AbortSignal fired. */
export class AbortError extends FluxkitError {
  override readonly name: string = "AbortError";
}

/** Transport failure: DNS, refused connection, reset, broken stream. */
export class ConnectionError extends FluxkitError {
  override readonly name: string = "ConnectionError";
}

/** The server answered something this protocol does not allow (bad JSON, unknown status, …). */
export class ProtocolError extends FluxkitError {
  override readonly name: string = "ProtocolError";
}

/** A response pointed at an origin the token must not be sent to; nothing was requested there. */
export class ForeignUrlError extends errorWith<"url", string>("url") {
  override readonly name: string = "ForeignUrlError";
}

/**
 * A redirect this package will not follow: no usable Location, a code that would change the
 * method, a loop. (A redirect to another origin is a ForeignUrlError.) Nothing was sent there.
 * `location` is the Location header (redacted, shortened), if there was one.
 */
export class RedirectError extends errorWith<"location", string | undefined>("location") {
  override readonly name: string = "RedirectError";
}

/**
 * The job ran and failed: COMPLETED with `error`, or its result could not be fetched. `issues`
 * are the field issues when the failure was a server-side validation (422 `detail[]`).
 */
export class JobFailedError extends errorWith<"issues", readonly InputIssue[]>("issues") {
  override readonly name: string = "JobFailedError";
}
