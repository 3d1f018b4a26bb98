/**
 * `flux worker`: a BullMQ worker that runs the lines of every batch of one provider.
 *
 * Per job: the submit record is read first. With a request id on record the job is followed up
 * by that id (`subscribe`, or the webhook delivery), never submitted again. Without a record
 * the worker takes the "about to submit" record (compare-and-set), submits, and records the
 * request id the moment it has one. A record "about to submit" left by an earlier attempt means
 * that attempt stopped mid-submit: a job may exist, so the line fails as unconfirmed and is only
 * submitted again after an explicit `--resubmit-unconfirmed`.
 *
 * Draining (Ctrl-C, SIGTERM) stops taking jobs, lets a submit in flight be answered and
 * recorded, and hands every job in hand back to the queue (BullMQ `moveToWait`), where another
 * worker resumes it by its request id.
 */
import { hostname } from "node:os";
import type { AnyEndpoint } from "@fluxkit/protocol";
import type { QueueClient, WebhookDelivery } from "@fluxkit/queue";
import { AbortError, FluxkitError, JobFailedError } from "@fluxkit/queue";
import { type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { DeliveryWatcher } from "./deliveries.js";
import {
  certainlyNotCreated,
  FleetError,
  isAuthFailure,
  isFinalJobFailure,
  type LineError,
  lineError,
  messageOf,
  type RetryAdvice,
  UnconfirmedSubmitError,
} from "./errors.js";
import { KEY_PREFIX, queueNameFor } from "./names.js";
import { SubmitRecords } from "./submit-records.js";
import type { LineJobData, LineResult } from "./types.js";

export interface SaveOutputArgs {
  readonly requestId: string;
  readonly endpointId: string;
  readonly output: unknown;
  readonly signal: AbortSignal;
}

export type WorkerEvent =
  | { readonly kind: "submitted" | "resumed" | "done"; readonly batch: string; readonly line: number; readonly requestId: string; readonly detail?: string }
  | { readonly kind: "failed" | "retrying"; readonly batch: string; readonly line: number; readonly error: LineError }
  | { readonly kind: "handed-back"; readonly batch: string; readonly line: number; readonly requestId?: string }
  | { readonly kind: "webhook-fallback"; readonly batch: string; readonly line: number; readonly requestId: string }
  | { readonly kind: "error"; readonly message: string };

export interface FleetWorkerOptions {
  /** A long-running connection (see connectRedis `longRunning`). */
  readonly redis: Redis;
  /** Provider identity (`chainhub`, `url:http://…`): the queue this worker serves. */
  readonly provider: string;
  /** The provider client; its token never leaves this process. */
  readonly client: QueueClient;
  readonly resolveEndpoint: (id: string) => AnyEndpoint | undefined;
  /** Saves a job's output (images, result JSON); returns the files written. */
  readonly saveOutput: (args: SaveOutputArgs) => Promise<readonly string[]>;
  /** Jobs in hand at once. */
  readonly concurrency: number;
  /** How long a job's lock lives without renewal: how soon a crashed worker's jobs are taken over. Default 30 s. */
  readonly lockDurationMs?: number;
  /** How often workers look for jobs whose lock lapsed. Default 30 s. */
  readonly stalledIntervalMs?: number;
  /** How often a job may be taken over before it fails as stalled. Default 5. */
  readonly maxStalledCount?: number;
  /** With webhooks: how long to wait for a delivery before asking the provider. Default 15 min. */
  readonly webhookFallbackMs?: number;
  /** How a job is followed up without webhooks. Default streaming (SSE, falling back to polling). */
  readonly waitMode?: "polling" | "streaming";
  readonly onEvent?: (event: WorkerEvent) => void;
}

export type StopReason = "drained" | "auth";

/** Handing a job back is not a failure: BullMQ leaves it alone when the processor throws this. */
class HandedBack extends WaitingError {}

export class FleetWorker {
  readonly queueName: string;
  readonly #options: FleetWorkerOptions;
  readonly #records: SubmitRecords;
  readonly #deliveries: DeliveryWatcher;
  readonly #drain = new AbortController();
  readonly #host = hostname();
  readonly #worker: Worker<LineJobData, LineResult, string>;
  #stopReason: StopReason | undefined;
  #authError: unknown;
  #closed: Promise<void> | undefined;
  #onStop: (reason: StopReason) => void = () => {};
  readonly stopped: Promise<StopReason>;

  constructor(options: FleetWorkerOptions) {
    this.#options = options;
    this.queueName = queueNameFor(options.provider);
    this.#records = new SubmitRecords(options.redis, this.queueName);
    this.#deliveries = new DeliveryWatcher(options.redis);
    this.stopped = new Promise((resolve) => {
      this.#onStop = resolve;
    });
    this.#worker = new Worker<LineJobData, LineResult, string>(this.queueName, (job, token) => this.#process(job, token ?? ""), {
      connection: options.redis,
      prefix: KEY_PREFIX,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 5,
      autorun: false,
      // Stored on each job it takes (processedBy); CLIENT SETNAME takes no spaces. Lets `status` count workers.
      name: `flux-worker-${this.#host.replace(/[^A-Za-z0-9.-]/g, "-")}-${process.pid}`,
    });
    this.#worker.on("error", (error) => this.#emit({ kind: "error", message: messageOf(error) }));
  }

  /** Starts taking jobs. */
  start(): void {
    void this.#worker.run().catch((error: unknown) => this.#emit({ kind: "error", message: messageOf(error) }));
  }

  async waitUntilReady(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /** The error that stopped the worker with reason "auth". */
  get authError(): unknown {
    return this.#authError;
  }

  /**
   * Stops taking jobs and hands back the jobs in hand; resolves once they are back in the queue
   * and the worker is closed.
   */
  drain(reason: StopReason = "drained"): Promise<void> {
    this.#stopReason ??= reason;
    this.#drain.abort();
    this.#closed ??= (async () => {
      await this.#worker.close();
      this.#deliveries.close();
      this.#onStop(this.#stopReason ?? reason);
    })();
    return this.#closed;
  }

  #emit(event: WorkerEvent): void {
    this.#options.onEvent?.(event);
  }

  async #process(job: Job<LineJobData, LineResult, string>, token: string): Promise<LineResult> {
    const data = job.data;
    const at = { batch: data.batch, line: data.line };
    if (this.#drain.signal.aborted) return this.#handBack(job, token);
    const endpoint = this.#options.resolveEndpoint(data.endpoint);
    if (endpoint === undefined) {
      return this.#fail(job, new FleetError(`This worker does not know the endpoint ${data.endpoint}; update fluxkit on this machine.`), "rerun", true);
    }

    const requestId = await this.#requestIdFor(job, token, endpoint);
    if (this.#drain.signal.aborted) return this.#handBack(job, token, requestId);

    let output: unknown;
    try {
      output = await this.#follow(job, endpoint, requestId);
    } catch (error) {
      if (this.#drain.signal.aborted && !isFinalJobFailure(error)) return this.#handBack(job, token, requestId);
      if (isAuthFailure(error)) return this.#stopForAuth(job, token, error, requestId);
      if (isFinalJobFailure(error)) return this.#fail(job, error, "final", true, requestId);
      return this.#fail(job, error, "rerun", false, requestId);
    }
    let files: readonly string[];
    try {
      files = await this.#options.saveOutput({ requestId, endpointId: endpoint.id, output, signal: this.#drain.signal });
    } catch (error) {
      if (this.#drain.signal.aborted) return this.#handBack(job, token, requestId);
      return this.#fail(job, error, "rerun", false, requestId);
    }
    this.#emit({ kind: "done", ...at, requestId, detail: files.join(" ") });
    return { request_id: requestId, files, host: this.#host };
  }

  /** The request id on record, or a fresh submit (recorded before and after). Throws to end the attempt otherwise. */
  async #requestIdFor(job: Job<LineJobData, LineResult, string>, token: string, endpoint: AnyEndpoint): Promise<string> {
    const data = job.data;
    const at = { batch: data.batch, line: data.line };
    const generation = data.resubmitGeneration ?? 0;
    const claim = await this.#records.claim(job.id ?? "", token, generation);
    if (!claim.claimed) {
      if (claim.record.phase === "submitted") {
        this.#emit({ kind: "resumed", ...at, requestId: claim.record.request_id });
        return claim.record.request_id;
      }
      return this.#fail(
        job,
        new UnconfirmedSubmitError(
          `An earlier attempt stopped during its submit (${claim.record.at}), so a job may exist without a known request id; not submitted again. Enqueue the batch again with --resubmit-unconfirmed to submit it anyway.`,
        ),
        "resubmit-unconfirmed",
        true,
      );
    }
    let requestId: string;
    try {
      // No abort signal: once sent, the answer (the request id) must be heard and recorded.
      const handle = await this.#options.client.submit(endpoint, data.input, {
        headers: { "idempotency-key": data.idempotencyKey },
        ...(data.webhookUrl === undefined ? {} : { webhookUrl: data.webhookUrl }),
      });
      requestId = handle.requestId;
    } catch (error) {
      if (!certainlyNotCreated(error)) {
        const unconfirmed = new UnconfirmedSubmitError(
          `The submit may have been accepted but its answer was lost (${messageOf(error)}); not submitted again. Enqueue the batch again with --resubmit-unconfirmed to submit it anyway.`,
        );
        return this.#fail(job, unconfirmed, "resubmit-unconfirmed", true);
      }
      // Refused: no job exists, so the line may be submitted again later.
      await this.#records.release(job.id ?? "", token);
      if (isAuthFailure(error)) return this.#stopForAuth(job, token, error);
      if (this.#drain.signal.aborted) return this.#handBack(job, token);
      // 429/503 and the like may pass: a BullMQ retry (with backoff) submits again; a 4xx will not.
      return this.#fail(job, error, "rerun", !(error instanceof FluxkitError && error.retryable));
    }
    await this.#records.submitted(job.id ?? "", requestId, generation);
    this.#emit({ kind: "submitted", ...at, requestId });
    return requestId;
  }

  async #follow(job: Job<LineJobData, LineResult, string>, endpoint: AnyEndpoint, requestId: string): Promise<unknown> {
    const client = this.#options.client;
    const signal = this.#drain.signal;
    if (job.data.webhookUrl !== undefined) {
      const delivery = await this.#waitForDelivery(requestId, signal);
      if (delivery !== undefined) return outputOf(delivery, requestId, () => client.result({ endpoint, requestId }, { signal }).then((r) => r.data));
      if (signal.aborted) throw new AbortError("Draining.");
      this.#emit({ kind: "webhook-fallback", batch: job.data.batch, line: job.data.line, requestId });
      return (await client.subscribe({ endpoint, requestId }, { signal, mode: "polling" })).data;
    }
    return (await client.subscribe({ endpoint, requestId }, { signal, mode: this.#options.waitMode ?? "streaming" })).data;
  }

  async #waitForDelivery(requestId: string, drain: AbortSignal): Promise<WebhookDelivery | undefined> {
    const fallback = AbortSignal.timeout(this.#options.webhookFallbackMs ?? 15 * 60_000);
    return this.#deliveries.wait(requestId, AbortSignal.any([drain, fallback]));
  }

  /** Records the typed error on the job, then ends the attempt: for good (final) or for a BullMQ retry. */
  async #fail(job: Job<LineJobData, LineResult, string>, error: unknown, retry: RetryAdvice, final: boolean, requestId?: string): Promise<never> {
    const typed = lineError(error, retry, requestId);
    await job.updateData({ ...job.data, error: typed });
    const attempts = job.opts.attempts ?? 1;
    const last = final || job.attemptsMade + 1 >= attempts;
    this.#emit({ kind: last ? "failed" : "retrying", batch: job.data.batch, line: job.data.line, error: typed });
    throw final ? new UnrecoverableError(`${typed.name}: ${typed.message}`) : new Error(`${typed.name}: ${typed.message}`);
  }

  /** Puts the job back in the queue (its request id, if any, is on record for whoever takes it next). */
  async #handBack(job: Job<LineJobData, LineResult, string>, token: string, requestId?: string): Promise<never> {
    await job.moveToWait(token);
    this.#emit({ kind: "handed-back", batch: job.data.batch, line: job.data.line, ...(requestId === undefined ? {} : { requestId }) });
    throw new HandedBack();
  }

  /** The provider refused the token: every job would fail the same way, so stop and hand them all back. */
  async #stopForAuth(job: Job<LineJobData, LineResult, string>, token: string, error: unknown, requestId?: string): Promise<never> {
    this.#authError ??= error;
    void this.drain("auth");
    return this.#handBack(job, token, requestId);
  }
}

async function outputOf(delivery: WebhookDelivery, requestId: string, fetchResult: () => Promise<unknown>): Promise<unknown> {
  if (delivery.status === "ERROR") {
    throw new JobFailedError(`Job ${requestId} failed: ${delivery.error} (webhook).`, [], { requestId, detail: delivery.payload });
  }
  // Too large to serialize into the delivery: the result route still has it.
  if (delivery.payload === null || delivery.payload === undefined) return fetchResult();
  return delivery.payload;
}
