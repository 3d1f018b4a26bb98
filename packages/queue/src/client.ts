import { linkedController, pause, systemClock, type Clock } from "./clock.js";
import type { EndpointDefinition, InputIssue } from "./endpoint.js";
import {
  AbortError,
  AuthenticationError,
  ConnectionError,
  FluxkitError,
  ForeignUrlError,
  JobFailedError,
  ProtocolError,
  RequestError,
  ServerError,
  TimeoutError,
  ValidationError,
  createRedactor,
  formatIssues,
  isRecord,
} from "./errors.js";
import { HttpClient, type FetchLike } from "./http.js";
import { CompletionHistory, PollSchedule, resolvePollingOptions, type PollingOptions } from "./polling.js";
import {
  defaultEnv,
  resolveProvider,
  resolveToken,
  type CustomProvider,
  type Env,
  type ProviderName,
  type ProxyProvider,
  type ResolvedProvider,
} from "./providers.js";
import { RetryBudget, defaultRetryOptions, parseRetryAfter, type RetryOptions } from "./retry.js";
import { isFailed, parseStatus, type CompletedStatus, type QueueStatus } from "./status.js";
import { deriveFollowUpUrls, followUrl, providerUrl, type FollowUpUrls } from "./urls.js";

export interface QueueClientOptions {
  /**
   * A preset, any queue-compatible base URL (a path prefix is kept) with its auth scheme, or
   * `{ proxyUrl }`: your `@fluxkit/proxy` route, which holds the token (browsers use this).
   */
  readonly provider: ProviderName | CustomProvider | ProxyProvider;
  /** Defaults to the provider's variable (CHAINHUB_TOKEN, KKIAI_TOKEN, FAL_KEY), then FLUXKIT_TOKEN; never with `{ proxyUrl }`. */
  readonly token?: string;
  /** Defaults to the global fetch. */
  readonly fetch?: FetchLike;
  /** Retry tuning; `false` disables retries. */
  readonly retry?: Partial<RetryOptions> | false;
  readonly polling?: Partial<PollingOptions>;
  /** Extra headers on every request (an Authorization header here is ignored: use `token`). */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Follow response URLs on unknown hosts by rebasing their path onto the provider's origin,
   * instead of refusing them. The token still never leaves the provider's origin.
   */
  readonly allowForeignUrls?: boolean;
  /** Where tokens are read from; defaults to `process.env` where it exists. */
  readonly env?: Env;
  /** Injectable time (tests). */
  readonly clock?: Clock;
  /** Injectable jitter source (tests). */
  readonly random?: () => number;
}

export interface SubmitOptions {
  readonly signal?: AbortSignal;
  /** Receives the result by POST when done (`?fal_webhook=`); verify it with `createWebhookVerifier`. */
  readonly webhookUrl?: string;
  /** `x-fal-queue-priority` */
  readonly priority?: "low" | "normal";
  /** `x-fal-runner-hint` */
  readonly runnerHint?: string;
  /** Start deadline in seconds (`X-Fal-Request-Timeout`): the job fails if it has not started by then. */
  readonly startTimeout?: number;
  /** `x-fal-no-retry`: ask the server not to re-run the job on its side. */
  readonly noRetry?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface StatusOptions {
  readonly signal?: AbortSignal;
  /** Ask for logs (`?logs=1`). */
  readonly logs?: boolean;
}

export interface WaitOptions extends StatusOptions {
  /** Total time in ms; when it passes the server job is cancelled and TimeoutError thrown. */
  readonly timeout?: number;
  /** Called with every status that differs from the previous one. */
  readonly onQueueUpdate?: (status: QueueStatus) => void;
  /** "polling" (default) or "streaming" (SSE, falling back to polling when the stream breaks). */
  readonly mode?: "polling" | "streaming";
}

export interface RunOptions extends SubmitOptions, WaitOptions {
  readonly signal?: AbortSignal;
}

/** What `submit` returns; plain data, so it can be stored and passed to `subscribe` later. */
export interface QueueHandle<Output = unknown> extends FollowUpUrls {
  readonly requestId: string;
  readonly endpointId: string;
  readonly queuePosition?: number;
  /** When the submit was answered (epoch ms): lets polling aim at when this endpoint's jobs usually complete. */
  readonly submittedAt?: number;
  /** Type carrier only. */
  readonly "~output"?: Output;
}

/** A job to follow up on: a handle, or an endpoint and a stored request id. */
export type JobRef<Output = unknown> = QueueHandle<Output> | { readonly endpoint: EndpointDefinition<unknown, Output>; readonly requestId: string };

export interface JobResult<Output> {
  readonly data: Output;
  readonly requestId: string;
}

export type CancelOutcome = "CANCELLATION_REQUESTED" | "ALREADY_COMPLETED";

interface ResolvedJob extends FollowUpUrls {
  readonly requestId: string;
  readonly endpointId?: string;
  readonly submittedAt?: number;
}

export function createQueueClient(options: QueueClientOptions): QueueClient {
  return new QueueClient(options);
}

export class QueueClient {
  readonly provider: ResolvedProvider;
  readonly #http: HttpClient;
  readonly #clock: Clock;
  readonly #polling: PollingOptions;
  readonly #completions = new CompletionHistory();
  readonly #allowForeignUrls: boolean;

  constructor(options: QueueClientOptions) {
    this.provider = resolveProvider(options.provider);
    const token = resolveToken(this.provider, options.token, options.env ?? defaultEnv());
    const retry = options.retry === false ? false : { ...defaultRetryOptions, ...options.retry };
    this.#clock = options.clock ?? systemClock;
    this.#polling = resolvePollingOptions(options.polling);
    this.#allowForeignUrls = options.allowForeignUrls ?? false;
    this.#http = new HttpClient({
      provider: this.provider,
      token,
      fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
      retry,
      budget: new RetryBudget(retry === false ? 0 : retry.budget),
      clock: this.#clock,
      random: options.random ?? Math.random,
      headers: options.headers ?? {},
      redact: createRedactor([token]),
    });
  }

  /** Submit, wait, fetch the result: `{ data, requestId }` with `data` typed as the endpoint's output. */
  async run<Input, Output>(endpoint: EndpointDefinition<Input, Output>, input: NoInfer<Input>, options: RunOptions = {}): Promise<JobResult<Output>> {
    assertValidInput(endpoint, input);
    return this.#lifecycle(options, async (signal) => {
      const submitted = await this.#submit(endpoint, input, { ...options, signal });
      return { job: submitted.handle, first: submitted.status };
    });
  }

  /** Resume waiting for a job submitted earlier (possibly by another process). */
  async subscribe<Output>(job: JobRef<Output>, options: WaitOptions = {}): Promise<JobResult<Output>> {
    const resolved = this.#resolveJob(job);
    return this.#lifecycle(options, async () => ({ job: resolved, first: undefined }));
  }

  /** Queue a job; validates the input first (nothing is sent when it is invalid). */
  async submit<Input, Output>(endpoint: EndpointDefinition<Input, Output>, input: NoInfer<Input>, options: SubmitOptions = {}): Promise<QueueHandle<Output>> {
    assertValidInput(endpoint, input);
    return (await this.#submit(endpoint, input, options)).handle;
  }

  async status(job: JobRef, options: StatusOptions = {}): Promise<QueueStatus> {
    return (await this.#fetchStatus(this.#resolveJob(job), options.logs, options.signal)).status;
  }

  /** Server-sent status events; ends after COMPLETED. Throws ConnectionError if the stream breaks first. */
  async *streamStatus(job: JobRef, options: StatusOptions = {}): AsyncGenerator<QueueStatus, void, undefined> {
    yield* this.#stream(this.#resolveJob(job), options.logs, options.signal);
  }

  /** The output of a completed job. A job that failed (422 / non-retryable 5xx) is a JobFailedError. */
  async result<Output>(job: JobRef<Output>, options: { readonly signal?: AbortSignal } = {}): Promise<JobResult<Output>> {
    const resolved = this.#resolveJob(job);
    try {
      return await this.#fetchResult<Output>(resolved, options.signal);
    } catch (error) {
      if (error instanceof ValidationError || (error instanceof ServerError && !error.retryable)) {
        throw jobFailedFrom(error, resolved.requestId);
      }
      throw error;
    }
  }

  async cancel(job: JobRef, options: { readonly signal?: AbortSignal } = {}): Promise<CancelOutcome> {
    return this.#cancel(this.#resolveJob(job), options.signal);
  }

  async #cancel(resolved: ResolvedJob, signal: AbortSignal | undefined): Promise<CancelOutcome> {
    const response = await this.#http.json({
      method: "PUT",
      url: resolved.cancelUrl,
      kind: "idempotent",
      operation: "cancel",
      requestId: resolved.requestId,
      signal,
      acceptError: (status, body) => status === 400 && isRecord(body) && body.status === "ALREADY_COMPLETED",
    });
    const status = isRecord(response.body) ? response.body.status : undefined;
    if (status === "CANCELLATION_REQUESTED" || status === "ALREADY_COMPLETED") return status;
    if (status === undefined) return "CANCELLATION_REQUESTED";
    throw new ProtocolError(`cancel answered an unknown status ${JSON.stringify(status)}.`, {
      requestId: resolved.requestId,
    });
  }

  /** Shared by run and subscribe: total timeout (cancelling the server job), wait, result. */
  async #lifecycle<Output>(
    options: WaitOptions,
    start: (signal: AbortSignal) => Promise<{ job: ResolvedJob; first: QueueStatus | undefined }>,
  ): Promise<JobResult<Output>> {
    const { controller, dispose } = linkedController(options.signal);
    let timeoutError: TimeoutError | undefined;
    let cancelTimer = () => {};
    if (options.timeout !== undefined) {
      const timeout = options.timeout;
      cancelTimer = this.#clock.setTimer(timeout, () => {
        timeoutError = new TimeoutError(`No result within the timeout of ${timeout} ms.`);
        controller.abort(timeoutError);
      });
    }
    let job: ResolvedJob | undefined;
    try {
      const started = await start(controller.signal);
      job = started.job;
      const completed = await this.#waitForCompletion(job, options, controller.signal, started.first);
      return await this.#finish<Output>(job, completed, controller.signal);
    } catch (error) {
      if (timeoutError !== undefined && error === timeoutError) {
        throw await this.#timedOut(job, timeoutError.message, options.signal);
      }
      throw error;
    } finally {
      cancelTimer();
      dispose();
    }
  }

  /** The timeout fired: cancel the server job so it stops costing, then report both facts. */
  async #timedOut(job: ResolvedJob | undefined, message: string, signal: AbortSignal | undefined): Promise<TimeoutError> {
    if (job === undefined) {
      return new TimeoutError(`${message} The submit was aborted before it answered; a job may have been created.`);
    }
    try {
      const outcome = await this.#cancel(job, signal);
      return new TimeoutError(`${message} The server job was cancelled (${outcome}).`, { requestId: job.requestId });
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      return new TimeoutError(`${message} Cancelling the server job failed: ${reason}`, {
        requestId: job.requestId,
        cause,
      });
    }
  }

  async #waitForCompletion(job: ResolvedJob, options: WaitOptions, signal: AbortSignal, first: QueueStatus | undefined): Promise<CompletedStatus> {
    let last: string | undefined;
    const notify = (status: QueueStatus) => {
      const key = JSON.stringify(status);
      if (key === last) return;
      last = key;
      options.onQueueUpdate?.(status);
    };
    if (first !== undefined) notify(first);
    const submittedAt = job.submittedAt;
    const elapsed = submittedAt === undefined ? undefined : () => this.#clock.now() - submittedAt;
    // Learn when this endpoint's jobs complete: after the last look that saw this one unfinished, by now.
    const completed = (status: CompletedStatus, after: number | undefined, by: number | undefined) => {
      if (job.endpointId !== undefined && after !== undefined && by !== undefined && !isFailed(status)) {
        this.#completions.record(job.endpointId, after, by);
      }
      return status;
    };
    if (options.mode === "streaming") {
      try {
        for await (const status of this.#stream(job, options.logs, signal)) {
          notify(status);
          if (status.status === "COMPLETED") {
            const now = elapsed?.();
            return completed(status, now, now);
          }
        }
      } catch (error) {
        if (!isStreamBreak(error)) throw error;
        // The stream broke: the job is unaffected, so carry on by polling.
      }
    }
    const window = job.endpointId === undefined ? undefined : this.#completions.window(job.endpointId);
    const schedule = new PollSchedule(this.#polling, window, elapsed);
    const firstWait = schedule.first();
    if (firstWait > 0) await pause(this.#clock, firstWait, signal);
    let previousKind: QueueStatus["status"] | undefined;
    let lookedAt = elapsed === undefined ? undefined : 0;
    for (;;) {
      const polledAt = elapsed?.();
      const { status, hintMs } = await this.#fetchStatus(job, options.logs, signal);
      notify(status);
      if (status.status === "COMPLETED") {
        return completed(status, lookedAt, polledAt);
      }
      lookedAt = polledAt;
      if (status.status === "IN_QUEUE") schedule.queued();
      if (previousKind !== undefined && previousKind !== status.status) schedule.reset();
      previousKind = status.status;
      await pause(this.#clock, schedule.next(hintMs), signal);
    }
  }

  /** After COMPLETED: an error on the status, or a result that cannot be fetched, is a failed job. */
  async #finish<Output>(job: ResolvedJob, completed: CompletedStatus, signal: AbortSignal): Promise<JobResult<Output>> {
    if (isFailed(completed)) {
      // The status says that the job failed; the result route says how (a 422 names the fields).
      let issues: readonly InputIssue[] = [];
      let cause: unknown;
      try {
        await this.#fetchResult<Output>(job, signal);
      } catch (error) {
        if (error instanceof AbortError) throw error;
        if (error instanceof ValidationError) issues = error.issues;
        cause = error;
      }
      throw new JobFailedError(
        `Job ${job.requestId} failed: ${completed.error ?? "no message"}${completed.error_type === undefined ? "" : ` (${completed.error_type})`}.`,
        issues,
        { requestId: job.requestId, errorType: completed.error_type, detail: completed.error, ...(cause === undefined ? {} : { cause }) },
      );
    }
    try {
      return await this.#fetchResult<Output>(job, signal);
    } catch (error) {
      if (error instanceof ValidationError || error instanceof RequestError || (error instanceof ServerError && !error.retryable)) {
        throw jobFailedFrom(error, job.requestId);
      }
      throw error;
    }
  }

  async #fetchResult<Output>(job: ResolvedJob, signal: AbortSignal | undefined): Promise<JobResult<Output>> {
    const response = await this.#http.json({
      method: "GET",
      url: job.responseUrl,
      kind: "idempotent",
      operation: "result",
      requestId: job.requestId,
      signal,
    });
    // The output is trusted to match the endpoint's schema; validating it would cost bundle size.
    return { data: response.body as Output, requestId: job.requestId };
  }

  async #fetchStatus(
    job: ResolvedJob,
    logs: boolean | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ status: QueueStatus; hintMs: number | undefined }> {
    const response = await this.#http.json({
      method: "GET",
      url: withLogs(job.statusUrl, logs),
      kind: "idempotent",
      operation: "status",
      requestId: job.requestId,
      signal,
    });
    return {
      status: parseStatus(response.body, job.requestId),
      hintMs: parseRetryAfter(response.headers.get("retry-after"), this.#clock.now()),
    };
  }

  async *#stream(job: ResolvedJob, logs: boolean | undefined, signal: AbortSignal | undefined): AsyncGenerator<QueueStatus, void, undefined> {
    const readStatusStream = await loadStreamReader(job.requestId);
    const url = new URL(job.statusUrl);
    url.pathname = `${url.pathname.replace(/\/+$/, "")}/stream`;
    const response = await this.#http.open({
      method: "GET",
      url: withLogs(url.href, logs),
      kind: "idempotent",
      operation: "status stream",
      accept: "text/event-stream",
      requestId: job.requestId,
      signal,
    });
    if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      void response.body?.cancel().catch(() => undefined);
      throw new ProtocolError(`status stream answered ${response.headers.get("content-type") ?? "no content type"} instead of text/event-stream.`, {
        requestId: job.requestId,
        status: response.status,
      });
    }
    yield* readStatusStream(response, job.requestId, signal);
  }

  async #submit<Input, Output>(
    endpoint: EndpointDefinition<Input, Output>,
    input: Input,
    options: SubmitOptions,
  ): Promise<{ handle: QueueHandle<Output>; status: QueueStatus }> {
    const url = new URL(providerUrl(this.provider, endpoint.submitPath));
    if (options.webhookUrl !== undefined) {
      assertHttpUrl(options.webhookUrl, "webhookUrl");
      url.searchParams.set("fal_webhook", options.webhookUrl);
    }
    const response = await this.#http.json({
      method: "POST",
      url: url.href,
      kind: "submit",
      operation: `submit ${endpoint.id}`,
      body: input,
      headers: submitHeaders(options),
      signal: options.signal,
    });
    const body = response.body;
    if (!isRecord(body) || typeof body.request_id !== "string" || body.request_id === "") {
      throw new ProtocolError(
        `submit ${endpoint.id} answered ${response.status} without a request_id; a job may have been created, check before submitting again.`,
        { status: response.status, requestId: response.headers.get("x-fal-request-id") ?? undefined },
      );
    }
    const requestId = body.request_id;
    const derived = deriveFollowUpUrls(this.provider, endpoint.app, requestId);
    const pick = (field: "status_url" | "response_url" | "cancel_url", fallback: string) => {
      const raw = body[field];
      return typeof raw === "string" && raw !== "" ? followUrl(raw, this.provider, { allowForeignUrls: this.#allowForeignUrls, field }) : fallback;
    };
    const handle: QueueHandle<Output> = {
      requestId,
      endpointId: endpoint.id,
      statusUrl: pick("status_url", derived.statusUrl),
      responseUrl: pick("response_url", derived.responseUrl),
      cancelUrl: pick("cancel_url", derived.cancelUrl),
      submittedAt: this.#clock.now(),
      ...(typeof body.queue_position === "number" ? { queuePosition: body.queue_position } : {}),
    };
    const status: QueueStatus = typeof body.status === "string" ? parseStatus(body, requestId) : { status: "IN_QUEUE", logs: [] };
    return { handle, status };
  }

  /** Handles may come from storage: their URLs are vetted again, exactly like fresh ones. */
  #resolveJob(job: JobRef<unknown>): ResolvedJob {
    if (typeof job.requestId !== "string" || job.requestId === "") {
      throw new FluxkitError("A job reference needs a non-empty requestId.");
    }
    if ("endpoint" in job) {
      return { requestId: job.requestId, endpointId: job.endpoint.id, ...deriveFollowUpUrls(this.provider, job.endpoint.app, job.requestId) };
    }
    const vet = (raw: string, field: string) => followUrl(raw, this.provider, { allowForeignUrls: this.#allowForeignUrls, field });
    return {
      requestId: job.requestId,
      ...(typeof job.endpointId === "string" ? { endpointId: job.endpointId } : {}),
      ...(typeof job.submittedAt === "number" && Number.isFinite(job.submittedAt) ? { submittedAt: job.submittedAt } : {}),
      statusUrl: vet(job.statusUrl, "statusUrl"),
      responseUrl: vet(job.responseUrl, "responseUrl"),
      cancelUrl: vet(job.cancelUrl, "cancelUrl"),
    };
  }
}

function assertValidInput(endpoint: EndpointDefinition<unknown, unknown>, input: unknown): void {
  const issues = endpoint.validateInput(input);
  if (issues.length > 0) {
    throw new ValidationError(
      `Invalid input for ${endpoint.id} (${issues.length} issue${issues.length === 1 ? "" : "s"}): ${formatIssues(issues)}. Nothing was sent.`,
      issues,
    );
  }
}

function assertHttpUrl(value: string, name: string): void {
  let ok = false;
  try {
    const url = new URL(value);
    ok = url.protocol === "https:" || url.protocol === "http:";
  } catch {
    ok = false;
  }
  if (!ok) throw new FluxkitError(`${name} must be an absolute http(s) URL, got ${JSON.stringify(value)}.`);
}

function submitHeaders(options: SubmitOptions): Record<string, string> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.priority !== undefined) headers["x-fal-queue-priority"] = options.priority;
  if (options.runnerHint !== undefined) headers["x-fal-runner-hint"] = options.runnerHint;
  if (options.startTimeout !== undefined) {
    if (!(options.startTimeout > 0) || !Number.isFinite(options.startTimeout)) {
      throw new FluxkitError(`startTimeout must be a positive number of seconds, got ${options.startTimeout}.`);
    }
    headers["x-fal-request-timeout"] = String(options.startTimeout);
  }
  if (options.noRetry === true) headers["x-fal-no-retry"] = "1";
  return headers;
}

/**
 * The SSE reader and its parser load on first use, so an app that only polls does not ship them
 * (bundlers put a dynamic import in its own chunk). A chunk that fails to load is a broken
 * stream: waiting falls back to polling.
 */
async function loadStreamReader(requestId: string): Promise<typeof import("./stream.js").readStatusStream> {
  try {
    return (await import("./stream.js")).readStatusStream;
  } catch (cause) {
    throw new ConnectionError("Could not load the status stream reader.", { cause, requestId, retryable: true });
  }
}

function withLogs(url: string, logs: boolean | undefined): string {
  if (logs !== true) return url;
  const parsed = new URL(url);
  parsed.searchParams.set("logs", "1");
  return parsed.href;
}

/** Failures of the stream itself; the caller's abort, timeout, credentials and scoping are not. */
function isStreamBreak(error: unknown): boolean {
  if (!(error instanceof FluxkitError)) return false;
  return !(error instanceof AbortError || error instanceof TimeoutError || error instanceof AuthenticationError || error instanceof ForeignUrlError);
}

function jobFailedFrom(error: FluxkitError, requestId: string): JobFailedError {
  const issues = error instanceof ValidationError ? error.issues : [];
  return new JobFailedError(`Job ${requestId} failed: ${error.message}`, issues, {
    status: error.status,
    requestId,
    errorType: error.errorType,
    detail: error.detail,
    cause: error,
  });
}
