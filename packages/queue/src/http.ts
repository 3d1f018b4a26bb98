import { authorizationValue, issuesFromFalDetail } from "@fluxkit/protocol";
import { BodyTooLargeError, discardBody, raceSignal, readText } from "./body.js";
import { abortError, linkedController, pause, throwIfAborted, type Clock } from "./clock.js";
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  ForeignUrlError,
  type FluxkitError,
  type FluxkitErrorOptions,
  ProtocolError,
  RateLimitError,
  RedirectError,
  RequestError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "./errors.js";
import { isRecord } from "./is-record.js";
import { formatIssues, jobMayExistHint } from "./messages.js";
import type { ResolvedProvider } from "./providers.js";
import { describeValue, redactAndClip, redactValue, sanitizeCause, type Redactor } from "./redact.js";
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
import { followUrl, originOf } from "./urls.js";

/** The subset of `fetch` this package uses; inject your own (tests, proxies, instrumentation). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpConfig {
  readonly provider: ResolvedProvider;
  readonly token: string | undefined;
  readonly fetch: FetchLike;
  readonly retry: RetryOptions | false;
  /** Submits spend from their own budget, so failing follow-ups cannot use up what protects them. */
  readonly budgets: { readonly submit: RetryBudget; readonly followUp: RetryBudget };
  readonly clock: Clock;
  readonly random: () => number;
  readonly headers: Readonly<Record<string, string>>;
  readonly redact: Redactor;
  /** Redirect targets are vetted like URLs in bodies (urls.ts); this is the same option. */
  readonly allowForeignUrls: boolean;
  /** Largest result body read (bytes). */
  readonly maxResponseBytes: number;
  /** One attempt (until its body is read; for a stream, until it opens) is abandoned after this long. 0: never. */
  readonly requestTimeoutMs: number;
}

/** Submit, status and cancel answers are small; more than this is a broken or hostile server. */
export const MAX_CONTROL_BODY_BYTES = 4 * 1024 * 1024;
/** An error body is read up to this much; its start says what went wrong. */
const MAX_ERROR_BODY_BYTES = 256 * 1024;
const MAX_REDIRECTS = 5;
/** Codes a redirect may be followed on (for a GET); 307/308 alone keep any method and body. */
const FOLLOWABLE_REDIRECTS = new Set([301, 302, 303, 307, 308]);

export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: string;
  /** "submit" follows the strict submit retry rule; "idempotent" the ordinary one. */
  readonly kind: "submit" | "idempotent";
  /** What is being done, for messages: "submit", "status", … */
  readonly operation: string;
  /** The exact bytes to send (JSON text). */
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly accept?: string;
  /** The queue request id, when known, so errors carry it. */
  readonly requestId?: string | undefined;
  /** A non-2xx answer that is nevertheless an answer (cancel's 400 ALREADY_COMPLETED). */
  readonly acceptError?: (status: number, body: unknown) => boolean;
  /** false: one attempt, the caller decides what a failure means (polling loops). Default true. */
  readonly retries?: boolean;
  /** Largest successful body; default MAX_CONTROL_BODY_BYTES. */
  readonly maxBytes?: number;
  /** "exact" redacts only whole tokens in a successful body (results: large, and the caller's data). */
  readonly redaction?: "full" | "exact";
  /** Set while a submit may have reached the server, for the caller's timeout message. */
  readonly exposure?: { mayHaveSent: boolean };
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** One attempt's outcome: an HTTP answer (body read unless an open stream), or a transport failure. */
type Attempt =
  | { readonly kind: "answer"; readonly response: Response; readonly text: string | undefined }
  | {
      readonly kind: "transport";
      readonly cause: unknown;
      readonly neverSent: boolean;
      readonly reset: boolean;
      readonly timedOut: boolean;
      readonly duringBody: boolean;
    };

export class HttpClient {
  /** The client's own headers without any Authorization, and the one it sends instead: fixed per client. */
  readonly #baseHeaders: Readonly<Record<string, string>>;
  readonly #authorization: string | undefined;

  constructor(private readonly config: HttpConfig) {
    this.#baseHeaders = withoutAuthorization({}, config.headers);
    this.#authorization = config.token === undefined ? undefined : authorizationValue(config.provider.auth, config.token);
  }

  /** Sends with retries and returns the parsed JSON body of a successful answer. */
  async json(request: HttpRequest): Promise<JsonResponse> {
    const { response, text } = await this.exchange(request, "json");
    return { status: response.status, headers: response.headers, body: this.parseJson(text ?? "", request, response) };
  }

  /** Sends with retries and returns the open response (for streams); errors are read and mapped. */
  async open(request: HttpRequest): Promise<Response> {
    return (await this.exchange(request, "open")).response;
  }

  /** Redacted and shortened: how any string a server sent may appear in an error. */
  show(text: string, max = 300): string {
    return redactAndClip(text, max, this.config.redact);
  }

  private async exchange(request: HttpRequest, mode: "json" | "open"): Promise<{ response: Response; text: string | undefined }> {
    const { provider, clock } = this.config;
    const targetOrigin = originOf(request.url, provider);
    // Last line of defence: every URL reaching here was built or vetted by urls.ts.
    if (targetOrigin !== provider.origin) {
      throw new ForeignUrlError(
        `Refused to send ${request.operation} to ${this.show(targetOrigin)}: credentials are scoped to ${provider.origin}.`,
        this.show(request.url),
      );
    }
    const idempotent = request.kind === "idempotent";
    const budget = idempotent ? this.config.budgets.followUp : this.config.budgets.submit;
    let staleSocketRetried = false;
    for (let retryIndex = 0; ; retryIndex++) {
      throwIfAborted(request.signal);
      const attempt = await this.attempt(request, mode);

      if (attempt.kind === "transport") {
        // A server closes idle keep-alive sockets; the next request on one fails with a reset.
        // That race says nothing about the provider's health (with many jobs polling it hits
        // many at once), so an idempotent request gets one immediate retry outside the budget.
        if (idempotent && !staleSocketRetried && attempt.reset && !attempt.duringBody) {
          staleSocketRetried = true;
          continue;
        }
        const safeToRepeat = idempotent || attempt.neverSent;
        if (request.exposure !== undefined && attempt.neverSent) request.exposure.mayHaveSent = false;
        if (safeToRepeat && this.mayRetry(request, retryIndex, budget)) {
          await pause(clock, this.backoff(retryIndex), request.signal);
          continue;
        }
        throw this.connectionError(request, attempt, safeToRepeat);
      }

      const { response, text } = attempt;
      if (response.ok && mode === "open") {
        budget.onSuccess();
        return { response, text: undefined };
      }
      // A refusal's body is parsed here for acceptError; a successful one only once, by the caller.
      const body = response.ok || text === undefined ? undefined : safeParse(text);
      if (response.ok || request.acceptError?.(response.status, body) === true) {
        budget.onSuccess();
        return { response, text };
      }

      const refused = !idempotent && submitWasRefused(response.status, response.headers, body);
      const safeToRepeat = idempotent ? isRetryableStatus(response.status, response.headers) : refused;
      // A 4xx refused the submit; a 5xx (unless it invited a retry) came after the body was sent.
      const jobMayExist = !idempotent && !refused && response.status >= 500;
      if (request.exposure !== undefined && !jobMayExist) request.exposure.mayHaveSent = false;
      const error = errorFromResponse(response, text ?? "", {
        operation: request.operation,
        origin: provider.origin,
        requestId: request.requestId,
        redact: this.config.redact,
        retryable: safeToRepeat,
        jobMayExist,
        nowMs: clock.now(),
      });
      if (safeToRepeat) {
        const retryAfter = parseRetryAfter(response.headers.get("retry-after"), clock.now());
        const retry = this.config.retry;
        // A demand to wait longer than we are willing to is answered by failing now.
        const tooLong = retry !== false && retryAfter !== undefined && retryAfter > retry.maxRetryAfterMs;
        if (!tooLong && this.mayRetry(request, retryIndex, budget)) {
          await pause(clock, retryAfter ?? this.backoff(retryIndex), request.signal);
          continue;
        }
      }
      throw error;
    }
  }

  /** One attempt: redirects followed by hand (same origin only), the body read within the cap. */
  private async attempt(request: HttpRequest, mode: "json" | "open"): Promise<Attempt> {
    const { clock, requestTimeoutMs } = this.config;
    const { controller, dispose } = linkedController(request.signal);
    let timedOut = false;
    const stopTimer =
      requestTimeoutMs > 0
        ? clock.setTimer(requestTimeoutMs, () => {
            timedOut = true;
            controller.abort(new Error(`no answer within ${requestTimeoutMs} ms`));
          })
        : () => {};
    const transport = (cause: unknown, duringBody: boolean): Attempt => ({
      kind: "transport",
      cause,
      neverSent: !timedOut && !duringBody && connectionNeverEstablished(cause),
      reset: !timedOut && connectionWasReset(cause),
      timedOut,
      duringBody,
    });
    try {
      let url = request.url;
      for (let hops = 0; ; hops++) {
        if (request.exposure !== undefined) request.exposure.mayHaveSent = true;
        let response: Response;
        try {
          // Injected fetches may ignore the signal; the race ends the wait regardless.
          response = await raceSignal(this.config.fetch(url, this.init(request, controller.signal)), controller.signal, discardBody);
        } catch (cause) {
          if (request.signal?.aborted) throw this.aborted(request);
          return transport(cause, false);
        }
        this.checkArrival(request, url, response);
        if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
          discardBody(response);
          url = this.redirectTarget(request, url, response, hops + 1);
          continue;
        }
        if (mode === "open" && response.ok) return { kind: "answer", response, text: undefined };
        try {
          const maxBytes = response.ok ? (request.maxBytes ?? MAX_CONTROL_BODY_BYTES) : MAX_ERROR_BODY_BYTES;
          const { text } = await readText(response, { maxBytes, signal: controller.signal, truncate: !response.ok });
          return { kind: "answer", response, text };
        } catch (cause) {
          if (request.signal?.aborted) throw this.aborted(request);
          if (cause instanceof BodyTooLargeError) throw this.tooLarge(request, response, cause.limit);
          // The body broke off: for a submit the job may exist (the server answered).
          return transport(cause, true);
        }
      }
    } finally {
      stopTimer();
      dispose();
    }
  }

  private init(request: HttpRequest, signal: AbortSignal): RequestInit {
    return {
      method: request.method,
      headers: this.headersFor(request),
      // Never followed automatically: a redirect is vetted here like any URL in a response.
      redirect: "manual",
      signal,
      ...(request.body === undefined ? {} : { body: request.body }),
    };
  }

  /**
   * An injected fetch may follow redirects although asked not to (and send the token along).
   * Its answer from anywhere but the provider is refused, never used.
   */
  private checkArrival(request: HttpRequest, url: string, response: Response): void {
    const arrived = typeof response.url === "string" && response.url !== "" ? response.url : undefined;
    let arrivedOrigin: string | undefined;
    try {
      arrivedOrigin = arrived === undefined ? undefined : originOf(arrived, this.config.provider);
    } catch {
      arrivedOrigin = "(invalid)";
    }
    const foreign = arrivedOrigin !== undefined && arrivedOrigin !== this.config.provider.origin;
    if (!foreign && !(response.redirected === true && arrived === undefined)) return;
    discardBody(response);
    const options = this.redirectErrorOptions(request, response);
    const message =
      `${request.operation}: the fetch function followed a redirect from ${new URL(url).origin} ` +
      `${arrived === undefined ? "to an unknown place" : `to ${this.show(arrivedOrigin ?? "")}`} although this client asks for redirect: "manual"; that answer is refused. ` +
      `Use a fetch that honours \`redirect\` (the global fetch does).${options.jobMayExist ? jobMayExistHint(options.requestId) : ""}`;
    throw new ForeignUrlError(message, this.show(arrived ?? ""), options);
  }

  private redirectErrorOptions(request: HttpRequest, response: Response): FluxkitErrorOptions {
    const status = response.status === 0 ? undefined : response.status;
    const requestId = request.requestId ?? this.headerRequestId(response.headers);
    return { status, requestId, jobMayExist: request.kind === "submit" };
  }

  /** Where a 3xx may be followed: the provider's own origin (after the rules of urls.ts), or a typed error. */
  private redirectTarget(request: HttpRequest, from: string, response: Response, hops: number): string {
    const options = this.redirectErrorOptions(request, response);
    const raw = response.headers.get("location");
    const location = raw === null ? undefined : this.show(raw);
    const where = `${request.operation} to ${this.config.provider.origin}`;
    const next = (why: string) => `${where} ${why}${options.jobMayExist ? jobMayExistHint(options.requestId) : ""}`;
    if (response.type === "opaqueredirect") {
      throw new RedirectError(next("was redirected, and this runtime hides where to; a redirect is never followed blindly."), undefined, options);
    }
    const status = response.status;
    if (!FOLLOWABLE_REDIRECTS.has(status)) throw new RedirectError(next(`answered ${status}, which is not a redirect this client follows.`), location, options);
    if (request.method !== "GET" && status !== 307 && status !== 308) {
      throw new RedirectError(next(`answered ${status}: following it would turn the ${request.method} into a GET, so it is not followed.`), location, options);
    }
    if (raw === null || raw.trim() === "") throw new RedirectError(next(`answered ${status} without a Location.`), undefined, options);
    if (hops > MAX_REDIRECTS) throw new RedirectError(next(`was redirected more than ${MAX_REDIRECTS} times.`), location, options);
    let absolute: string;
    try {
      absolute = new URL(raw, from).href;
    } catch {
      throw new RedirectError(next(`answered ${status} with an invalid Location ${JSON.stringify(location)}.`), location, options);
    }
    try {
      return followUrl(absolute, this.config.provider, {
        allowForeignUrls: this.config.allowForeignUrls,
        field: `redirect (${status}) Location`,
        redact: this.config.redact,
      });
    } catch (error) {
      const message = `${request.operation}: ${(error as Error).message} Nothing was sent there.${options.jobMayExist ? jobMayExistHint(options.requestId) : ""}`;
      if (error instanceof ForeignUrlError) throw new ForeignUrlError(message, error.url, options);
      throw new RedirectError(message, location, options);
    }
  }

  private headersFor(request: HttpRequest): Record<string, string> {
    const headers: Record<string, string> = { accept: request.accept ?? "application/json" };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    Object.assign(headers, this.#baseHeaders);
    if (request.headers !== undefined) withoutAuthorization(headers, request.headers);
    if (this.#authorization !== undefined) headers.authorization = this.#authorization;
    return headers;
  }

  private mayRetry(request: HttpRequest, retryIndex: number, budget: RetryBudget): boolean {
    const retry = this.config.retry;
    return request.retries !== false && retry !== false && retryIndex < retry.maxRetries && budget.tryAcquire();
  }

  private backoff(retryIndex: number): number {
    return this.config.retry === false ? 0 : backoffDelay(retryIndex, this.config.retry, this.config.random);
  }

  /** The caller's signal fired while a request was out. A submit may have arrived. */
  private aborted(request: HttpRequest): FluxkitError {
    const error = abortError(request.signal);
    // An internal reason (the total timeout) is rethrown as is: its owner reports the submit's fate.
    if (request.kind !== "submit" || !(error instanceof AbortError)) return error;
    return new AbortError(`${request.operation} was aborted by the caller's AbortSignal after it was sent.${jobMayExistHint(undefined)}`, {
      cause: error.cause,
      jobMayExist: true,
    });
  }

  private tooLarge(request: HttpRequest, response: Response, limit: number): ProtocolError {
    const jobMayExist = request.kind === "submit";
    const requestId = request.requestId ?? this.headerRequestId(response.headers);
    const raise =
      request.maxBytes !== undefined && request.maxBytes !== MAX_CONTROL_BODY_BYTES ? " Raise maxResponseBytes if results this large are expected." : "";
    return new ProtocolError(
      `${request.operation}: ${this.config.provider.origin} answered ${response.status} with more than ${limit} bytes; reading stopped there.${raise}${jobMayExist ? jobMayExistHint(requestId) : ""}`,
      { status: response.status, requestId, jobMayExist },
    );
  }

  private connectionError(request: HttpRequest, attempt: Extract<Attempt, { kind: "transport" }>, retryable: boolean): ConnectionError {
    const { cause, timedOut, neverSent } = attempt;
    const reason = timedOut
      ? `no answer within ${this.config.requestTimeoutMs} ms`
      : this.show(cause instanceof Error ? cause.message : String(cause), 200) + causeCode(cause);
    const jobMayExist = request.kind === "submit" && !neverSent;
    const what = attempt.duringBody ? `the answer from ${this.config.provider.origin} broke off` : `could not reach ${this.config.provider.origin}`;
    return new ConnectionError(`${request.operation} failed: ${what} (${reason}).${jobMayExist ? jobMayExistHint(undefined) : ""}`, {
      cause: sanitizeCause(cause, this.config.redact),
      retryable,
      requestId: request.requestId,
      jobMayExist,
    });
  }

  private headerRequestId(headers: Headers): string | undefined {
    const value = headers.get("x-fal-request-id");
    return value === null || value.trim() === "" ? undefined : this.show(value.trim(), 200);
  }

  private parseJson(text: string, request: HttpRequest, response: Response): unknown {
    if (text.trim() === "") return null;
    const parsed = safeParse(text);
    if (parsed === undefined) {
      const jobMayExist = request.kind === "submit";
      const requestId = request.requestId ?? this.headerRequestId(response.headers);
      throw new ProtocolError(
        `${request.operation}: ${this.config.provider.origin} answered ${response.status} with a body that is not JSON: ${this.show(text, 120)}${jobMayExist ? jobMayExistHint(requestId) : ""}`,
        { status: response.status, requestId, retryable: request.kind === "idempotent", jobMayExist },
      );
    }
    const redact = this.config.redact;
    const exact = request.redaction === "exact";
    const clean = exact ? redact.exact(text) === text : redact(text) === text;
    // Without escapes every string in the value is a substring of the text: when the text holds
    // no secret, neither does the value, and the deep copy (the whole result) can be skipped.
    if (!text.includes("\\") && clean) return parsed;
    return redactValue(parsed, exact ? redact.exact : redact);
  }
}

/** Copies `source` into `target`, leaving out any Authorization: the token only comes from the client's own configuration. */
function withoutAuthorization(target: Record<string, string>, source: Readonly<Record<string, string>>): Record<string, string> {
  for (const [name, value] of Object.entries(source)) {
    if (name.toLowerCase() !== "authorization") target[name] = value;
  }
  return target;
}

function causeCode(cause: unknown): string {
  for (let current = cause, depth = 0; isRecord(current) && depth < 5; current = current.cause, depth++) {
    if (typeof current.code === "string" && /^[A-Z0-9_]{2,40}$/.test(current.code)) return `, ${current.code}`;
  }
  return "";
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
  readonly jobMayExist?: boolean;
  readonly nowMs: number;
}

/** Maps a non-2xx answer to the error subclass for its kind; every string from the answer is redacted before it is cut. */
export function errorFromResponse(response: Response, text: string, context: ErrorContext): FluxkitError {
  const { status, headers } = response;
  const { redact } = context;
  const show = (value: unknown, max: number) => describeValue(value, max, redact);
  const parsed = safeParse(text);
  // Bounded depth: `detail` is meant to be logged, and loggers serialize recursively.
  const body = parsed === undefined ? show(text, 500) : redactValue(parsed, redact, 32);
  const detail = isRecord(body) && "detail" in body ? body.detail : body;
  const headerType = headers.get("x-fal-error-type");
  const errorType =
    headerType !== null && headerType.trim() !== ""
      ? show(headerType.trim(), 100)
      : isRecord(body) && typeof body.error_type === "string"
        ? show(body.error_type, 100)
        : undefined;
  const headerId = headers.get("x-fal-request-id");
  const requestId = headerId !== null && headerId.trim() !== "" ? show(headerId.trim(), 200) : context.requestId;
  const jobMayExist = context.jobMayExist === true;
  const options = { status, requestId, errorType, retryable: context.retryable, jobMayExist, detail };
  const issues = issuesFromFalDetail(detail, show);
  const summary =
    issues.length > 0 && Array.isArray(detail)
      ? formatIssues(issues)
      : detail === null || detail === undefined || detail === ""
        ? "(empty body)"
        : show(detail, 300);
  const where = `${context.operation} to ${context.origin} failed with ${status}`;
  const hint = jobMayExist ? jobMayExistHint(requestId) : "";

  if (status === 401 || status === 403) {
    return new AuthenticationError(`${where}: ${summary}. Check the token (option or environment variable) for this provider.`, options);
  }
  if (status === 422) {
    return new ValidationError(`${where}: ${issues.length > 0 ? formatIssues(issues) : summary}`, issues, options);
  }
  if (status === 429) {
    return new RateLimitError(`${where}: rate limited. ${summary}`, parseRetryAfter(headers.get("retry-after"), context.nowMs), options);
  }
  if (status === 504 && headers.get("x-fal-request-timeout-type")?.trim().toLowerCase() === "user") {
    return new TimeoutError(`${where}: the request did not start before its start deadline (X-Fal-Request-Timeout). ${summary}`, options);
  }
  if (status >= 500) return new ServerError(`${where}: ${summary}${hint}`, options);
  return new RequestError(`${where}: ${summary}`, options);
}
