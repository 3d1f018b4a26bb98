/**
 * The queue routes' answers, once routing, faults and auth have let a request through: submit
 * (validate, plan, enqueue), status, the status stream, result and cancel.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { providerPresets } from "@fluxkit/protocol";
import type { Fault } from "./faults.js";
import type { FileStore } from "./file-store.js";
import { type GenerationPlan, type RemoteImagePolicy, planGeneration, renderOutput } from "./generation.js";
import { type JsonReply, headerValue } from "./http-io.js";
import type { Job, JobOutcome, QueueSimulator } from "./queue-simulator.js";
import { canonicalJson, type Random, randomUuid, sha256Hex } from "./random.js";
import type { SpecValidator, ValidationIssue } from "./request-validation.js";
import type { FollowUpRoute } from "./route-table.js";
import type { EndpointSpec, JsonObject } from "./spec-catalog.js";
import { streamStatus } from "./sse.js";
import type { StatsRecorder } from "./stats.js";
import type { WebhookDeliveries } from "./webhook-deliveries.js";
import { checkWebhookUrl } from "./webhooks.js";

/** fal's queue host: gateways answer with URLs on it, and clients swap in their own origin. */
/** Where fal answers: the gateways answer submits with URLs on this origin. */
export const FAL_QUEUE_ORIGIN = new URL(providerPresets.fal.baseUrl).origin;

export interface QueueRoutesContext {
  readonly simulator: QueueSimulator;
  readonly validator: SpecValidator;
  readonly random: Random;
  readonly files: FileStore;
  readonly remoteImages: RemoteImagePolicy;
  readonly stats: StatsRecorder;
  readonly webhooks: WebhookDeliveries;
  /** Whether URLs in answers are on fal's queue host (gateways) or on the emulator (fal). */
  readonly answersOnFalHost: boolean;
  /** The emulator's own origin, known once it listens. */
  origin(): string;
}

export class QueueRoutes {
  readonly #ctx: QueueRoutesContext;

  constructor(context: QueueRoutesContext) {
    this.#ctx = context;
  }

  async submit(req: IncomingMessage, raw: Buffer, url: URL, endpoint: EndpointSpec, jobFaults: readonly Fault[]): Promise<JsonReply> {
    const { validator, simulator, stats } = this.#ctx;
    let input: unknown;
    try {
      input = JSON.parse(raw.toString("utf8"));
    } catch (error) {
      return validationFailed([{ loc: ["body"], msg: `JSON decode error: ${(error as Error).message}`, type: "json_invalid" }]);
    }
    const issues = [
      ...validator.validateParameters(endpoint, endpoint.submit, url.searchParams, req.headers),
      ...validator.validateSchema(endpoint, "Input", input),
    ];
    const webhook = url.searchParams.get("fal_webhook") ?? undefined;
    if (webhook !== undefined) {
      const problem = checkWebhookUrl(webhook);
      if (problem !== undefined) issues.push({ loc: ["query", "fal_webhook"], msg: problem, type: "value_error" });
    }
    if (issues.length > 0) return validationFailed(issues);
    const body = input as JsonObject;
    const planned = planGeneration(endpoint, body, {
      random: this.#ctx.random,
      remoteImages: this.#ctx.remoteImages,
      localFile: (target) => {
        const local = target.pathname.startsWith("/files/") && (target.origin === this.#ctx.origin() || isLoopback(target.hostname));
        if (!local) return undefined;
        return this.#ctx.files.get(decodeURIComponent(target.pathname.slice("/files/".length)))?.bytes ?? "missing";
      },
    });
    if ("issues" in planned) return validationFailed(planned.issues);

    const timeoutHeader = headerValue(req, "x-fal-request-timeout");
    const priority = headerValue(req, "x-fal-queue-priority") === "low" ? "low" : "normal";
    const id = randomUuid(this.#ctx.random);
    const plan = planned.plan;
    const job = simulator.submit({
      id,
      endpointId: endpoint.id,
      app: endpoint.app,
      priority,
      ...(timeoutHeader === undefined ? {} : { startTimeoutMs: Number(timeoutHeader) * 1000 }),
      produce: (j) => this.#produceOutcome(j, plan, jobFaults),
    });
    if (webhook !== undefined) this.#ctx.webhooks.register(job, webhook);
    stats.jobCreated(headerValue(req, "idempotency-key") ?? headerValue(req, "x-idempotency-key") ?? sha256Hex(`${endpoint.id}\n${canonicalJson(body)}`));
    return {
      status: 200,
      headers: { "x-fal-request-id": id },
      body: { status: "IN_QUEUE", request_id: id, ...this.#jobUrls(job), queue_position: simulator.position(job), logs: null, metrics: {} },
    };
  }

  /** Status, stream, result or cancel of `job`; undefined when the answer was streamed. */
  async followUp(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: FollowUpRoute,
    job: Job,
    faultsHere: readonly Fault[],
  ): Promise<JsonReply | undefined> {
    const { simulator, validator } = this.#ctx;
    const idHeader = { "x-fal-request-id": job.id };
    switch (route.operationId) {
      case "getStatus":
      case "streamStatus": {
        const issues = validator.validateParameters(
          route.endpoint,
          route.endpoint.operations.find((o) => o.operationId === route.operationId) ?? route.endpoint.submit,
          url.searchParams,
          req.headers,
        );
        if (issues.length > 0) return validationFailed(issues);
        const withLogs = url.searchParams.get("logs") === "1";
        if (route.operationId === "getStatus") {
          return { status: job.state === "COMPLETED" ? 200 : 202, headers: idHeader, body: this.#statusBody(job, withLogs) };
        }
        await streamStatus(res, {
          simulator,
          job,
          render: (j) => this.#statusBody(j, withLogs),
          broken: faultsHere.some((f) => f.name === "broken-stream"),
          headers: idHeader,
        });
        return undefined;
      }
      case "getResult": {
        if (job.state !== "COMPLETED" || job.outcome === undefined) {
          return {
            status: 400,
            headers: idHeader,
            body: { detail: job.state === "IN_QUEUE" ? "Request is still in queue." : "Request is still in progress." },
          };
        }
        if ("output" in job.outcome) return { status: 200, headers: idHeader, body: job.outcome.output };
        const failure = job.outcome.failure;
        return { status: failure.status, headers: { ...idHeader, ...failure.headers }, body: failure.body };
      }
      case "cancel": {
        const outcome = simulator.cancel(job);
        return outcome === "cancelled"
          ? { status: 202, headers: idHeader, body: { status: "CANCELLATION_REQUESTED" } }
          : { status: 400, headers: idHeader, body: { status: "ALREADY_COMPLETED" } };
      }
    }
  }

  /** URLs in queue answers: the gateways answer on queue.fal.run, fal on its own origin. */
  #jobUrls(job: Job): { response_url: string; status_url: string; cancel_url: string } {
    const base = `${this.#ctx.answersOnFalHost ? FAL_QUEUE_ORIGIN : this.#ctx.origin()}/${job.app}/requests/${job.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  }

  #statusBody(job: Job, withLogs: boolean): JsonObject {
    const urls = this.#jobUrls(job);
    const logs = withLogs ? job.logs.map((l) => ({ ...l })) : null;
    switch (job.state) {
      case "IN_QUEUE":
        return { status: "IN_QUEUE", request_id: job.id, queue_position: this.#ctx.simulator.position(job), ...urls, logs, metrics: {} };
      case "IN_PROGRESS":
        return { status: "IN_PROGRESS", request_id: job.id, ...urls, logs, metrics: {} };
      case "COMPLETED": {
        const failure = job.outcome !== undefined && "failure" in job.outcome ? job.outcome.failure : undefined;
        const shown = failure !== undefined && failure.silent !== true;
        return {
          status: "COMPLETED",
          request_id: job.id,
          ...urls,
          logs,
          metrics: { inference_time: job.startedAt === undefined ? null : (job.inferenceTime ?? null) },
          ...(shown ? { error: failure.error, error_type: failure.errorType } : {}),
        };
      }
    }
  }

  /** The job's output, or the failure a job fault asks for. */
  #produceOutcome(job: Job, plan: GenerationPlan, jobFaults: readonly Fault[]): JobOutcome {
    const names = new Set(jobFaults.map((f) => f.name));
    if (names.has("job-error-422") || names.has("result-422")) {
      return {
        failure: {
          status: 422,
          body: { detail: [{ loc: ["body", "prompt"], msg: "The model rejected the input (injected fault).", type: "value_error" }] },
          error: "Unprocessable input.",
          errorType: "validation_error",
          // result-422: the status looks clean; only the result tells.
          silent: names.has("result-422") && !names.has("job-error-422"),
        },
      };
    }
    if (names.has("job-error-500")) {
      return {
        failure: {
          status: 500,
          body: { detail: "The runner crashed while generating (injected fault).", error_type: "runner_error" },
          headers: { "x-fal-error-type": "runner_error", "x-fal-retryable": "false" },
          error: "The runner crashed while generating.",
          errorType: "runner_error",
        },
      };
    }
    return { output: renderOutput(plan, this.#ctx.files, this.#ctx.origin(), job.inferenceTime ?? 0.001) };
  }
}

function validationFailed(issues: ValidationIssue[]): JsonReply {
  return { status: 422, body: { detail: issues } };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
