import { linkedController, pause, systemClock, type Clock } from "./clock.js";
import type { EndpointDefinition, InputIssue } from "@fluxkit/protocol";
import {
  AbortError,
  AuthenticationError,
  FluxkitError,
  ForeignUrlError,
  JobFailedError,
  ProtocolError,
  RedirectError,
  RequestError,
  ServerError,
  TimeoutError,
  ValidationError,
  ConnectionError,
} from "./errors.js";
import { isRecord } from "./is-record.js";
import { jobMayExistHint } from "./messages.js";
import { HttpClient, type FetchLike } from "./http.js";
import { prepareInput } from "./input.js";
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
import { createRedactor, describeValue, REDACTED, type Redactor } from "./redact.js";
import { RetryBudget, defaultRetryOptions, parseRetryAfter, type RetryOptions } from "./retry.js";
import { isFailed, parseStatus, type CompletedStatus, type QueueStatus, type Show } from "./status.js";
import { TransientFailures } from "./transient.js";
import { deriveFollowUpUrls, followUrl, providerUrl, type FollowUpUrls } from "./urls.js";

export interface QueueClientOptions {
  /**
   * A preset, any queue-compatible base URL (a path prefix is kept) with its auth scheme, or
   * `{ proxyUrl }`: your `@fluxkit/proxy` route, which holds the token (browsers use this).
   */
  readonly provider: ProviderName | CustomProvider | ProxyProvider;
  /** Defaults to the provider's own variable (its `tokenEnv` in `providerPresets`), then FLUXKIT_TOKEN; never with `{ proxyUrl }`. */
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
  /**
   * Send input fields the endpoint's schema does not list (forward compatibility). Default
   * false: they are refused before anything is sent, with the nearest known name suggested.
   */
  readonly allowUnknownFields?: boolean;
  /** Largest result body read, in bytes; a larger one is a ProtocolError. Default 64 MiB. */
  readonly maxResponseBytes?: number;
  /** Largest line or event a status stream may send, in characters. Default 1 MiB. */
  readonly maxStreamEventBytes?: number;
  /**
   * Each attempt of a request (until its answer is read; for a stream, until it opens) is given
   * up after this many ms, as a transport failure. Default 120 000; 0 turns it off.
   */
  readonly requestTimeout?: number;
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
  /** Overrides the client's `allowUnknownFields` for this submit. */
  readonly allowUnknownFields?: boolean;
}

export interface StatusOptions {
  readonly signal?: AbortSignal;
  /** Ask for logs (`?logs=1`). */
  readonly logs?: boolean;
}

export interface WaitOptions extends StatusOptions {
  /**
   * Total time in ms for the whole call, the cancel included: waiting stops a fifth of it (at
   * most 5 s) early, the server job is cancelled within what is left, and a TimeoutError says
   * whether the cancel was confirmed (`cancelConfirmed`).
   */
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

const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_STREAM_EVENT_BYTES = 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

/** The part of a `timeout` kept for cancelling the job: a fifth of it, at most 5 s. */
export function cancelReserveMs(timeout: number): number {
  return Math.min(5000, Math.round(timeout / 5));
}

export class QueueClient {
  readonly provider: ResolvedProvider;
  readonly #http: HttpClient;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #retry: RetryOptions | false;
  readonly #polling: PollingOptions;
  readonly #completions = new CompletionHistory();
  readonly #allowForeignUrls: boolean;
  readonly #allowUnknownFields: boolean;
  readonly #maxResponseBytes: number;
  readonly #maxStreamEventBytes: number;
  readonly #redact: Redactor;
  /** How any value from a response appears in a message: redacted, then shortened. */
  readonly #show: Show;
  /** Handles this client made (frozen, their URLs vetted at submit): used as they are, not vetted again on every call. */
  readonly #ownHandles = new WeakSet<object>();

  constructor(options: QueueClientOptions) {
    this.provider = resolveProvider(options.provider);
    const token = resolveToken(this.provider, options.token, options.env ?? defaultEnv());
    const retry = options.retry === false ? false : { ...defaultRetryOptions, ...options.retry };
    this.#retry = retry;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#polling = resolvePollingOptions(options.polling);
    this.#allowForeignUrls = options.allowForeignUrls ?? false;
    this.#allowUnknownFields = options.allowUnknownFields ?? false;
    this.#maxResponseBytes = positiveOption(options.maxResponseBytes, "maxResponseBytes", DEFAULT_MAX_RESPONSE_BYTES);
    this.#maxStreamEventBytes = positiveOption(options.maxStreamEventBytes, "maxStreamEventBytes", DEFAULT_MAX_STREAM_EVENT_BYTES);
    const requestTimeout = options.requestTimeout === 0 ? 0 : positiveOption(options.requestTimeout, "requestTimeout", DEFAULT_REQUEST_TIMEOUT_MS);
    this.#redact = createRedactor([token]);
    const redact = this.#redact;
    this.#show = (value, max) => {
      const text = describeValue(value, max, redact);
      return typeof value === "string" ? JSON.stringify(text) : text;
    };
    const budget = retry === false ? 0 : retry.budget;
    this.#http = new HttpClient({
      provider: this.provider,
      token,
      fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
      retry,
      budgets: { submit: new RetryBudget(budget), followUp: new RetryBudget(budget) },
      clock: this.#clock,
      random: this.#random,
      headers: options.headers ?? {},
      redact,
      allowForeignUrls: this.#allowForeignUrls,
      maxResponseBytes: this.#maxResponseBytes,
      requestTimeoutMs: requestTimeout,
    });
  }

  /** Submit, wait, fetch the result: `{ data, requestId }` with `data` typed as the endpoint's output. */
  async run<Input, Output>(endpoint: EndpointDefinition<Input, Output>, input: NoInfer<Input>, options: RunOptions = {}): Promise<JobResult<Output>> {
    const body = this.#prepare(endpoint, input, options);
    return this.#lifecycle(options, async (signal, exposure) => {
      const submitted = await this.#submit(endpoint, body, { ...options, signal }, exposure);
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
    const body = this.#prepare(endpoint, input, options);
    return (await this.#submit(endpoint, body, options, undefined)).handle;
  }

  async status(job: JobRef, options: StatusOptions = {}): Promise<QueueStatus> {
    return (await this.#fetchStatus(this.#resolveJob(job), options.logs, options.signal, true)).status;
  }

  /** Server-sent status events; ends after COMPLETED. Throws ConnectionError if the stream breaks first. */
  async *streamStatus(job: JobRef, options: StatusOptions = {}): AsyncGenerator<QueueStatus, void, undefined> {
    yield* this.#stream(this.#resolveJob(job), options.logs, options.signal);
  }

  /** The output of a completed job. A job that failed (422 / non-retryable 5xx) is a JobFailedError. */
  async result<Output>(job: JobRef<Output>, options: { readonly signal?: AbortSignal } = {}): Promise<JobResult<Output>> {
    const resolved = this.#resolveJob(job);
    try {
      return await this.#fetchResult<Output>(resolved, options.signal, true);
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

  /** Serialized once; the parsed text is validated; those bytes are what `#submit` sends. */
  #prepare(endpoint: EndpointDefinition<unknown, unknown>, input: unknown, options: SubmitOptions): string {
    return prepareInput(endpoint, input, { allowUnknownFields: options.allowUnknownFields ?? this.#allowUnknownFields });
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
    throw new ProtocolError(`cancel answered an unknown status ${this.#show(status, 100)}.`, {
      requestId: resolved.requestId,
    });
  }

  /**
   * Shared by run and subscribe: wait, then the result, all within `timeout`. The wait stops a
   * reserve early, so that cancelling the server job fits in the timeout too.
   */
  async #lifecycle<Output>(
    options: WaitOptions,
    start: (signal: AbortSignal, exposure: { mayHaveSent: boolean }) => Promise<{ job: ResolvedJob; first: QueueStatus | undefined }>,
  ): Promise<JobResult<Output>> {
    const timeout = options.timeout;
    if (timeout !== undefined && !(typeof timeout === "number" && Number.isFinite(timeout) && timeout > 0)) {
      throw new FluxkitError(`timeout must be a positive number of ms, got ${String(timeout)}.`);
    }
    const { controller, dispose } = linkedController(options.signal);
    const deadline = timeout === undefined ? undefined : this.#clock.now() + timeout;
    let timeoutError: TimeoutError | undefined;
    let stopTimer = () => {};
    if (timeout !== undefined) {
      stopTimer = this.#clock.setTimer(timeout - cancelReserveMs(timeout), () => {
        timeoutError = new TimeoutError(`No result within the timeout of ${timeout} ms.`);
        controller.abort(timeoutError);
      });
    }
    const exposure = { mayHaveSent: false };
    const failures = new TransientFailures(this.#clock, this.#retry, this.#random, deadline === undefined ? this.#polling.failureToleranceMs : undefined);
    let job: ResolvedJob | undefined;
    try {
      const started = await start(controller.signal, exposure);
      job = started.job;
      const completed = await this.#waitForCompletion(job, options, controller.signal, started.first, failures);
      return await this.#finish<Output>(job, completed, controller.signal, failures);
    } catch (error) {
      if (timeoutError !== undefined && controller.signal.reason === timeoutError && (error === timeoutError || !(error instanceof JobFailedError))) {
        throw await this.#timedOut(job, timeoutError.message, exposure, options.signal, deadline ?? this.#clock.now());
      }
      throw error;
    } finally {
      stopTimer();
      dispose();
    }
  }

  /** The wait ran out: cancel the server job within what is left of the timeout, then report both facts. */
  async #timedOut(
    job: ResolvedJob | undefined,
    message: string,
    exposure: { mayHaveSent: boolean },
    signal: AbortSignal | undefined,
    deadline: number,
  ): Promise<TimeoutError> {
    if (job === undefined) {
      return exposure.mayHaveSent
        ? new TimeoutError(`${message} The submit was aborted before it answered, so nothing could be cancelled.${jobMayExistHint(undefined)}`, {
            jobMayExist: true,
          })
        : new TimeoutError(`${message} No job was created (the submit was refused or never sent).`);
    }
    const { controller, dispose } = linkedController(signal);
    const stop = this.#clock.setTimer(Math.max(0, deadline - this.#clock.now()), () => {
      controller.abort(new TimeoutError("The cancel did not answer within the timeout."));
    });
    try {
      const outcome = await this.#cancel(job, controller.signal);
      return new TimeoutError(`${message} The server job was cancelled (${outcome}).`, {
        requestId: job.requestId,
        cancelConfirmed: true,
        cancelOutcome: outcome,
      });
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      return new TimeoutError(
        `${message} Cancelling request ${job.requestId} was not confirmed (${reason}); it may still run and cost: cancel it with cancel({ endpoint, requestId: "${job.requestId}" }).`,
        { requestId: job.requestId, cause, cancelConfirmed: false, jobMayExist: true },
      );
    } finally {
      stop();
      dispose();
    }
  }

  async #waitForCompletion(
    job: ResolvedJob,
    options: WaitOptions,
    signal: AbortSignal,
    first: QueueStatus | undefined,
    failures: TransientFailures,
  ): Promise<CompletedStatus> {
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
      let polled: { status: QueueStatus; hintMs: number | undefined };
      try {
        // One attempt: a failed poll is retried here, on the job's deadline, not the client's budget.
        polled = await this.#fetchStatus(job, options.logs, signal, false);
      } catch (error) {
        const wait = failures.next(error, "status");
        if (wait === undefined) throw error;
        await pause(this.#clock, wait, signal);
        continue;
      }
      failures.reset();
      const { status, hintMs } = polled;
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
  async #finish<Output>(job: ResolvedJob, completed: CompletedStatus, signal: AbortSignal, failures: TransientFailures): Promise<JobResult<Output>> {
    if (isFailed(completed)) {
      // The status says that the job failed; the result route says how (a 422 names the fields).
      let issues: readonly InputIssue[] = [];
      let cause: unknown;
      try {
        await this.#fetchResult<Output>(job, signal, true);
      } catch (error) {
        if (signal.aborted) throw error;
        if (error instanceof ValidationError) issues = error.issues;
        cause = error;
      }
      const detail = this.#show(completed.error ?? "no message", 500);
      throw new JobFailedError(
        `Job ${job.requestId} failed: ${completed.error === undefined ? "no message" : detail}${completed.error_type === undefined ? "" : ` (${this.#show(completed.error_type, 100)})`}.`,
        issues,
        { requestId: job.requestId, errorType: completed.error_type, detail: completed.error, ...(cause === undefined ? {} : { cause }) },
      );
    }
    for (;;) {
      try {
        return await this.#fetchResult<Output>(job, signal, false);
      } catch (error) {
        const wait = failures.next(error, "result");
        if (wait !== undefined) {
          await pause(this.#clock, wait, signal);
          continue;
        }
        if (error instanceof ValidationError || error instanceof RequestError || (error instanceof ServerError && !error.retryable)) {
          throw jobFailedFrom(error, job.requestId);
        }
        throw error;
      }
    }
  }

  async #fetchResult<Output>(job: ResolvedJob, signal: AbortSignal | undefined, retries: boolean): Promise<JobResult<Output>> {
    const response = await this.#http.json({
      method: "GET",
      url: job.responseUrl,
      kind: "idempotent",
      operation: "result",
      requestId: job.requestId,
      signal,
      retries,
      maxBytes: this.#maxResponseBytes,
      redaction: "exact",
    });
    // The output is trusted to match the endpoint's schema; validating it would cost bundle size.
    return { data: response.body as Output, requestId: job.requestId };
  }

  async #fetchStatus(
    job: ResolvedJob,
    logs: boolean | undefined,
    signal: AbortSignal | undefined,
    retries: boolean,
  ): Promise<{ status: QueueStatus; hintMs: number | undefined }> {
    const response = await this.#http.json({
      method: "GET",
      url: withLogs(job.statusUrl, logs),
      kind: "idempotent",
      operation: "status",
      requestId: job.requestId,
      signal,
      retries,
    });
    return {
      status: parseStatus(response.body, job.requestId, this.#show),
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
    const contentType = response.headers.get("content-type") ?? "";
    if (!contentType.includes("text/event-stream")) {
      void response.body?.cancel().catch(() => undefined);
      throw new ProtocolError(`status stream answered ${contentType === "" ? "no content type" : this.#show(contentType, 100)} instead of text/event-stream.`, {
        requestId: job.requestId,
        status: response.status,
        retryable: true,
      });
    }
    yield* readStatusStream(response, job.requestId, signal, { maxEventBytes: this.#maxStreamEventBytes, redact: this.#redact, show: this.#show });
  }

  async #submit<Input, Output>(
    endpoint: EndpointDefinition<Input, Output>,
    body: string,
    options: SubmitOptions,
    exposure: { mayHaveSent: boolean } | undefined,
  ): Promise<{ handle: QueueHandle<Output>; status: QueueStatus }> {
    let url = providerUrl(this.provider, endpoint.submitPath);
    if (options.webhookUrl !== undefined) {
      assertHttpUrl(options.webhookUrl, "webhookUrl");
      const withHook = new URL(url);
      withHook.searchParams.set("fal_webhook", options.webhookUrl);
      url = withHook.href;
    }
    const response = await this.#http.json({
      method: "POST",
      url,
      kind: "submit",
      operation: `submit ${endpoint.id}`,
      body,
      headers: submitHeaders(options),
      signal: options.signal,
      ...(exposure === undefined ? {} : { exposure }),
    });
    const answer = response.body;
    // Only a refusal shows the header's id (redacted); an answer with a request_id does not need it.
    const shownHeaderId = () => {
      const headerId = response.headers.get("x-fal-request-id");
      return headerId === null || headerId.trim() === "" ? undefined : this.#http.show(headerId.trim(), 200);
    };
    // From here on the job exists: every refusal keeps its id and says what to do.
    const refuse = (why: string, requestId: string | undefined, cause?: unknown) =>
      new ProtocolError(`submit ${endpoint.id} answered ${response.status}, but ${why}${jobMayExistHint(requestId)}`, {
        status: response.status,
        requestId,
        jobMayExist: true,
        ...(cause === undefined ? {} : { cause }),
      });
    if (!isRecord(answer) || typeof answer.request_id !== "string" || answer.request_id === "") {
      throw refuse("without a request_id.", shownHeaderId());
    }
    const requestId = answer.request_id;
    // The body is redacted already: a request_id that held the token shows the mark; one that
    // long is no id either. Neither may become the job's handle.
    const shownId = this.#http.show(requestId, 200);
    if (shownId !== requestId || requestId.includes(REDACTED)) {
      throw refuse("its request_id is too long or held the token, so it is not used.", shownId);
    }
    const derived = deriveFollowUpUrls(this.provider, endpoint.app, requestId);
    const pick = (field: "status_url" | "response_url" | "cancel_url", fallback: string) => {
      const raw = answer[field];
      if (typeof raw !== "string" || raw === "") return fallback;
      try {
        return followUrl(raw, this.provider, { allowForeignUrls: this.#allowForeignUrls, field, redact: this.#redact });
      } catch (error) {
        const refusal = error as FluxkitError;
        const message =
          `submit ${endpoint.id} created request ${requestId}, but its answer was refused: ${refusal.message} ` +
          `The job exists: follow it on the provider's own routes with subscribe({ endpoint, requestId: "${requestId}" }), or cancel it with cancel({ endpoint, requestId: "${requestId}" }).`;
        const common = { status: response.status, requestId, jobMayExist: true, cause: error };
        throw error instanceof ForeignUrlError ? new ForeignUrlError(message, error.url, common) : new ProtocolError(message, common);
      }
    };
    const handle: QueueHandle<Output> = Object.freeze({
      requestId,
      endpointId: endpoint.id,
      statusUrl: pick("status_url", derived.statusUrl),
      responseUrl: pick("response_url", derived.responseUrl),
      cancelUrl: pick("cancel_url", derived.cancelUrl),
      submittedAt: this.#clock.now(),
      ...(typeof answer.queue_position === "number" ? { queuePosition: answer.queue_position } : {}),
    });
    this.#ownHandles.add(handle);
    let status: QueueStatus = { status: "IN_QUEUE", logs: [] };
    if (typeof answer.status === "string") {
      try {
        status = parseStatus(answer, requestId, this.#show);
      } catch (error) {
        throw refuse(`its status is not one this client knows (${(error as Error).message}).`, requestId, error);
      }
    }
    return { handle, status };
  }

  /** Handles may come from storage: their URLs are vetted again, exactly like fresh ones. */
  #resolveJob(job: JobRef<unknown>): ResolvedJob {
    // Frozen when made: its fields are still the ones vetted then.
    if (this.#ownHandles.has(job)) return job as QueueHandle<unknown>;
    if (!isRecord(job as unknown) || typeof job.requestId !== "string" || job.requestId === "") {
      throw new FluxkitError("A job reference needs a non-empty requestId: pass a handle from submit, or { endpoint, requestId }.");
    }
    if ("endpoint" in job) {
      if (!isRecord(job.endpoint as unknown) || typeof job.endpoint.app !== "string") {
        throw new FluxkitError("A job reference's endpoint must be an endpoint definition (from an @fluxkit endpoint package).", { requestId: job.requestId });
      }
      return { requestId: job.requestId, endpointId: job.endpoint.id, ...deriveFollowUpUrls(this.provider, job.endpoint.app, job.requestId) };
    }
    const vet = (raw: unknown, field: string) =>
      followUrl(raw as string, this.provider, { allowForeignUrls: this.#allowForeignUrls, field, redact: this.#redact });
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

function positiveOption(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new FluxkitError(`${name} must be a positive number, got ${String(value)}.`);
  }
  return value;
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

/** Failures of the stream itself; the caller's abort, timeout, credentials, scoping and redirects are not. */
function isStreamBreak(error: unknown): boolean {
  if (!(error instanceof FluxkitError)) return false;
  return !(
    error instanceof AbortError ||
    error instanceof TimeoutError ||
    error instanceof AuthenticationError ||
    error instanceof ForeignUrlError ||
    error instanceof RedirectError
  );
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
