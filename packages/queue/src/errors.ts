import type { InputIssue } from "./endpoint.js";
import { previewJson } from "./redact.js";

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

/** Input rejected, locally by the endpoint's validator (nothing sent) or by the server (422). */
export class ValidationError extends FluxkitError {
  override readonly name: string = "ValidationError";
  readonly issues: readonly InputIssue[];
  constructor(message: string, issues: readonly InputIssue[], options: FluxkitErrorOptions = {}) {
    super(message, options);
    this.issues = issues;
  }
}

/** 401/403, or no token configured. */
export class AuthenticationError extends FluxkitError {
  override readonly name: string = "AuthenticationError";
}

/** 429. `retryAfterMs` is the server's `Retry-After`, if it sent one. */
export class RateLimitError extends FluxkitError {
  override readonly name: string = "RateLimitError";
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs: number | undefined, options: FluxkitErrorOptions = {}) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
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
export class ForeignUrlError extends FluxkitError {
  override readonly name: string = "ForeignUrlError";
  readonly url: string;
  constructor(message: string, url: string, options: FluxkitErrorOptions = {}) {
    super(message, options);
    this.url = url;
  }
}

/**
 * A redirect this package will not follow: no usable Location, a code that would change the
 * method, a loop. (A redirect to another origin is a ForeignUrlError.) Nothing was sent there.
 */
export class RedirectError extends FluxkitError {
  override readonly name: string = "RedirectError";
  /** The Location header (redacted, shortened), if there was one. */
  readonly location: string | undefined;
  constructor(message: string, location: string | undefined, options: FluxkitErrorOptions = {}) {
    super(message, options);
    this.location = location;
  }
}

/** The job ran and failed: COMPLETED with `error`, or its result could not be fetched. */
export class JobFailedError extends FluxkitError {
  override readonly name: string = "JobFailedError";
  /** Field issues when the failure was a server-side validation (422 `detail[]`). */
  readonly issues: readonly InputIssue[];
  constructor(message: string, issues: readonly InputIssue[], options: FluxkitErrorOptions = {}) {
    super(message, options);
    this.issues = issues;
  }
}

/** What to do after a submit whose outcome is unknown; appended to such errors' messages. */
export function jobMayExistHint(requestId: string | undefined): string {
  return requestId === undefined
    ? " A job may have been created, but its request id is unknown: check the provider's request log before submitting again."
    : ` A job may have been created as request ${requestId}: look it up with status({ endpoint, requestId: "${requestId}" }), or cancel it, before submitting again.`;
}

/** Most issues kept from a server's `detail[]`; a hostile body may list millions. */
const MAX_SERVER_ISSUES = 50;

/**
 * Maps fal's `detail` (`[{loc, msg, type}]` or a string) to field issues. `show` turns each
 * string from the body into display text (redacted and shortened by the HTTP layer).
 */
export function issuesFromDetail(detail: unknown, show: (value: unknown, max: number) => string = (v, max) => previewText(v, max)): InputIssue[] {
  if (typeof detail === "string") return [{ path: "", message: show(detail, 500), keyword: "server" }];
  if (!Array.isArray(detail)) return [];
  return detail.slice(0, MAX_SERVER_ISSUES).map((item: unknown) => {
    const entry = isRecord(item) ? item : {};
    const loc = Array.isArray(entry.loc) ? entry.loc.slice(0, 20).map((part: unknown) => show(part, 100)) : [];
    // FastAPI prefixes body fields with "body"; the input path is what users know.
    if (loc[0] === "body") loc.shift();
    return {
      path: loc.join("."),
      message: show(typeof entry.msg === "string" ? entry.msg : item, 300),
      keyword: typeof entry.type === "string" ? show(entry.type, 100) : "server",
    };
  });
}

function previewText(value: unknown, max: number): string {
  const text = typeof value === "string" ? value : previewJson(value, max);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function formatIssues(issues: readonly InputIssue[]): string {
  return issues.map((i) => `${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("; ");
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
