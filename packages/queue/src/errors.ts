import type { InputIssue } from "./endpoint.js";

export interface FluxkitErrorOptions {
  /** HTTP status, when the error came from a response. */
  readonly status?: number | undefined;
  /** The queue request id (or `x-fal-request-id`), when known. */
  readonly requestId?: string | undefined;
  /** `X-Fal-Error-Type` / `error_type`, when the server said. */
  readonly errorType?: string | undefined;
  /** Whether repeating the same call is safe and may succeed. */
  readonly retryable?: boolean | undefined;
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
  readonly detail: unknown;

  constructor(message: string, options: FluxkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.requestId = options.requestId;
    this.errorType = options.errorType;
    this.retryable = options.retryable ?? false;
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

/** The total `timeout` passed, or the start deadline (`X-Fal-Request-Timeout`) did (504, type user). */
export class TimeoutError extends FluxkitError {
  override readonly name: string = "TimeoutError";
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

/** Replaces every secret in `text`; used on every message and detail built from a response. */
export type Redactor = (text: string) => string;

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  // Very short strings would shred ordinary words; real tokens are long.
  const list = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
  return (text) => list.reduce((acc, secret) => acc.split(secret).join("[redacted]"), text);
}

/** Deep-redacts strings inside a parsed JSON value. */
export function redactValue(value: unknown, redact: Redactor): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, redact)]));
  }
  return value;
}

/** Maps fal's `detail` (`[{loc, msg, type}]` or a string) to field issues. */
export function issuesFromDetail(detail: unknown): InputIssue[] {
  if (typeof detail === "string") return [{ path: "", message: detail, keyword: "server" }];
  if (!Array.isArray(detail)) return [];
  return detail.map((item: unknown) => {
    const entry = isRecord(item) ? item : {};
    const loc = Array.isArray(entry.loc) ? entry.loc.map(String) : [];
    // FastAPI prefixes body fields with "body"; the input path is what users know.
    if (loc[0] === "body") loc.shift();
    return {
      path: loc.join("."),
      message: typeof entry.msg === "string" ? entry.msg : JSON.stringify(item),
      keyword: typeof entry.type === "string" ? entry.type : "server",
    };
  });
}

export function formatIssues(issues: readonly InputIssue[]): string {
  return issues.map((i) => `${i.path === "" ? "(root)" : i.path}: ${i.message}`).join("; ");
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
