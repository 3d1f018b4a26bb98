import { abortError, pause, throwIfAborted, type Clock } from "./clock.js";
import {
  AuthenticationError,
  ConnectionError,
  ForeignUrlError,
  type FluxkitError,
  ProtocolError,
  RateLimitError,
  RequestError,
  ServerError,
  TimeoutError,
  ValidationError,
  formatIssues,
  isRecord,
  issuesFromDetail,
  redactValue,
  type Redactor,
} from "./errors.js";
import { authorizationValue, type ResolvedProvider } from "./providers.js";
import {
  backoffDelay,
  connectionNeverEstablished,
  connectionWasReset,
  isRetryableStatus,
  parseRetryAfter,
  submitWasRefused,
  type RetryBudget,
  type RetryOptions,
} from "./retry.js";

/** The subset of `fetch` this package uses; inject your own (tests, proxies, instrumentation). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpConfig {
  readonly provider: ResolvedProvider;
  readonly token: string | undefined;
  readonly fetch: FetchLike;
  readonly retry: RetryOptions | false;
  readonly budget: RetryBudget;
  readonly clock: Clock;
  readonly random: () => number;
  readonly headers: Readonly<Record<string, string>>;
  readonly redact: Redactor;
}

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: string;
  /** "submit" follows the strict submit retry rule; "idempotent" the ordinary one. */
  readonly kind: "submit" | "idempotent";
  /** What is being done, for messages: "submit", "status", … */
  readonly operation: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly accept?: string;
  /** The queue request id, when known, so errors carry it. */
  readonly requestId?: string | undefined;
  /** A non-2xx answer that is nevertheless an answer (cancel's 400 ALREADY_COMPLETED). */
  readonly acceptError?: (status: number, body: unknown) => boolean;
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

export class HttpClient {
  constructor(private readonly config: HttpConfig) {}

  /** Sends with retries and returns the parsed JSON body of a successful answer. */
  async json(request: HttpRequest): Promise<JsonResponse> {
    const { response, text } = await this.exchange(request, true);
    return { status: response.status, headers: response.headers, body: this.parseJson(text ?? "", request, response) };
  }

  /** Sends with retries and returns the open response (for streams); errors are read and mapped. */
  async open(request: HttpRequest): Promise<Response> {
    return (await this.exchange(request, false)).response;
  }

  private async exchange(request: HttpRequest, readBody: boolean): Promise<{ response: Response; text: string | undefined }> {
    const { provider, clock } = this.config;
    const target = new URL(request.url);
    // Last line of defence: every URL reaching here was built or vetted by urls.ts.
    if (target.origin !== provider.origin) {
      throw new ForeignUrlError(`Refused to send ${request.operation} to ${target.origin}: credentials are scoped to ${provider.origin}.`, request.url);
    }
    const init: RequestInit = {
      method: request.method,
      headers: this.headersFor(request),
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    };

    let staleSocketRetried = false;
    for (let retryIndex = 0; ; retryIndex++) {
      throwIfAborted(request.signal);
      let response: Response;
      try {
        response = await this.config.fetch(request.url, init);
      } catch (cause) {
        if (request.signal?.aborted) throw abortError(request.signal);
        // A server closes idle keep-alive sockets; the next request on one fails with a reset.
        // That race says nothing about the provider's health (with many jobs polling it hits
        // many at once), so an idempotent request gets one immediate retry outside the budget.
        if (request.kind === "idempotent" && !staleSocketRetried && connectionWasReset(cause)) {
          staleSocketRetried = true;
          continue;
        }
        const neverSent = connectionNeverEstablished(cause);
        const safeToRepeat = request.kind === "idempotent" || neverSent;
        if (safeToRepeat && this.mayRetry(retryIndex)) {
          await pause(clock, this.backoff(retryIndex), request.signal);
          continue;
        }
        throw this.connectionError(request, cause, safeToRepeat);
      }

      if (response.ok && !readBody) {
        this.config.budget.onSuccess();
        return { response, text: undefined };
      }
      let text: string;
      try {
        text = await response.text();
      } catch (cause) {
        if (request.signal?.aborted) throw abortError(request.signal);
        // The body broke off: for a submit the job may exist, so this is not retried.
        if (request.kind === "idempotent" && this.mayRetry(retryIndex)) {
          await pause(clock, this.backoff(retryIndex), request.signal);
          continue;
        }
        throw this.connectionError(request, cause, request.kind === "idempotent");
      }
      const body = safeParse(text);
      if (response.ok || request.acceptError?.(response.status, body) === true) {
        this.config.budget.onSuccess();
        return { response, text };
      }

      const safeToRepeat =
        request.kind === "idempotent" ? isRetryableStatus(response.status, response.headers) : submitWasRefused(response.status, response.headers, body);
      const error = errorFromResponse(response, text, {
        operation: request.operation,
        origin: provider.origin,
        requestId: request.requestId,
        redact: this.config.redact,
        retryable: safeToRepeat,
        nowMs: clock.now(),
      });
      if (safeToRepeat) {
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"), clock.now());
        const retry = this.config.retry;
        // A demand to wait longer than we are willing to is answered by failing now.
        const tooLong = retry !== false && retryAfter !== undefined && retryAfter > retry.maxRetryAfterMs;
        if (!tooLong && this.mayRetry(retryIndex)) {
          await pause(clock, retryAfter ?? this.backoff(retryIndex), request.signal);
          continue;
        }
      }
      throw error;
    }
  }

  private headersFor(request: HttpRequest): Record<string, string> {
    const headers: Record<string, string> = { accept: request.accept ?? "application/json" };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    for (const source of [this.config.headers, request.headers ?? {}]) {
      for (const [name, value] of Object.entries(source)) {
        // The token only comes from the client's own configuration.
        if (name.toLowerCase() !== "authorization") headers[name] = value;
      }
    }
    if (this.config.token !== undefined) {
      headers.authorization = authorizationValue(this.config.provider.auth, this.config.token);
    }
    return headers;
  }

  private mayRetry(retryIndex: number): boolean {
    const retry = this.config.retry;
    return retry !== false && retryIndex < retry.maxRetries && this.config.budget.tryAcquire();
  }

  private backoff(retryIndex: number): number {
    return this.config.retry === false ? 0 : backoffDelay(retryIndex, this.config.retry, this.config.random);
  }

  private connectionError(request: HttpRequest, cause: unknown, retryable: boolean): ConnectionError {
    const reason = this.config.redact(cause instanceof Error ? cause.message : String(cause));
    const hint = request.kind === "submit" && !retryable ? " The job may have been created: check before submitting again." : "";
    return new ConnectionError(`${request.operation} failed: could not reach ${this.config.provider.origin} (${reason}).${hint}`, {
      cause,
      retryable,
      requestId: request.requestId,
    });
  }

  private parseJson(text: string, request: HttpRequest, response: Response): unknown {
    if (text.trim() === "") return null;
    const parsed = safeParse(text);
    if (parsed === undefined) {
      throw new ProtocolError(
        `${request.operation}: ${this.config.provider.origin} answered ${response.status} with a body that is not JSON: ${this.config.redact(text.slice(0, 120))}`,
        { status: response.status, requestId: request.requestId ?? response.headers.get("x-fal-request-id") ?? undefined },
      );
    }
    // Without escapes every string in the value is a substring of the text: when the text holds
    // no secret, neither does the value, and the deep copy (the whole result) can be skipped.
    if (!text.includes("\\") && this.config.redact(text) === text) return parsed;
    return redactValue(parsed, this.config.redact);
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export interface ErrorContext {
  readonly operation: string;
  readonly origin: string;
  readonly requestId: string | undefined;
  readonly redact: Redactor;
  readonly retryable: boolean;
  readonly nowMs: number;
}

/** Maps a non-2xx answer to the error subclass for its kind; everything from the body is redacted. */
export function errorFromResponse(response: Response, text: string, context: ErrorContext): FluxkitError {
  const { status, headers } = response;
  const parsed = safeParse(text);
  const body = parsed === undefined ? context.redact(text.slice(0, 500)) : redactValue(parsed, context.redact);
  const detail = isRecord(body) && "detail" in body ? body.detail : body;
  const errorType = headers.get("x-fal-error-type") ?? (isRecord(body) && typeof body.error_type === "string" ? body.error_type : undefined);
  const options = {
    status,
    requestId: headers.get("x-fal-request-id") ?? context.requestId,
    errorType,
    retryable: context.retryable,
    detail,
  };
  const summary = summarize(detail);
  const where = `${context.operation} to ${context.origin} failed with ${status}`;

  if (status === 401 || status === 403) {
    return new AuthenticationError(`${where}: ${summary}. Check the token (option or environment variable) for this provider.`, options);
  }
  if (status === 422) {
    const issues = issuesFromDetail(detail);
    return new ValidationError(`${where}: ${issues.length > 0 ? formatIssues(issues) : summary}`, issues, options);
  }
  if (status === 429) {
    return new RateLimitError(`${where}: rate limited. ${summary}`, parseRetryAfter(headers.get("retry-after"), context.nowMs), options);
  }
  if (status === 504 && headers.get("x-fal-request-timeout-type")?.trim().toLowerCase() === "user") {
    return new TimeoutError(`${where}: the request did not start before its start deadline (X-Fal-Request-Timeout). ${summary}`, options);
  }
  if (status >= 500) return new ServerError(`${where}: ${summary}`, options);
  return new RequestError(`${where}: ${summary}`, options);
}

function summarize(detail: unknown): string {
  if (typeof detail === "string") return detail.slice(0, 300) || "(empty body)";
  if (Array.isArray(detail)) {
    const issues = issuesFromDetail(detail);
    if (issues.length > 0) return formatIssues(issues);
  }
  if (detail === null || detail === undefined) return "(empty body)";
  return JSON.stringify(detail).slice(0, 300);
}
