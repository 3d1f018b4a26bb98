/**
 * The emulator: a real HTTP server on loopback playing fal's queue (or a gateway reselling it)
 * for every normalized spec it finds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type AuthScheme,
  ConfigError,
  type LatencyProfileName,
  type LatencySettings,
  PROVIDER_AUTH,
  type ProviderName,
  parseInteger,
  parseLatency,
  parseProvider,
} from "./config.js";
import { type Fault, FaultInjector, type FaultName, type FaultRule, type RouteName, ROUTES, infrastructureError } from "./faults.js";
import { FileStore } from "./file-store.js";
import { type GenerationPlan, type RemoteImagePolicy, planGeneration, renderOutput } from "./generation.js";
import { BodyTooLargeError, type JsonReply, headerValue, readBody, writeJson } from "./http-io.js";
import { type Job, type JobFailure, type JobState, type QueueLog, QueueSimulator } from "./queue-simulator.js";
import { canonicalJson, createRandom, randomUuid, sha256Hex } from "./random.js";
import { SpecValidator, type ValidationIssue } from "./request-validation.js";
import { type EndpointSpec, type EndpointSpecData, type JsonObject, type OperationId, loadSpecCatalog } from "./spec-catalog.js";
import { streamStatus } from "./sse.js";
import { type Jwks, type WebhookDeliveryBody, WebhookSigner, type WebhookDeliveryRecord, checkWebhookUrl, deliverWebhook } from "./webhooks.js";

export interface EmulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string;
  /** Which provider to play: auth scheme, submit-response URLs, served endpoints. Default "fal". */
  readonly provider?: ProviderName;
  /** A profile name, a run time in ms, `start=..,run=..,steps=..`, or settings. Default "instant". */
  readonly latency?: LatencyProfileName | string | LatencySettings;
  /** Seeds request ids, unseeded generations and fault rates. Default 0. */
  readonly seed?: number | string;
  /** The endpoint specs to serve, as `@fluxkit/endpoints/specs` gives them. Default: every one it has. */
  readonly specs?: readonly EndpointSpecData[];
  /** Jobs running at once. Default 2. */
  readonly concurrency?: number;
  /** Accept only this token (after `Bearer `/`Key `); any non-empty token when absent. */
  readonly token?: string;
  /** Fault rules active from the start. */
  readonly faults?: readonly FaultRule[];
  /** Honour the `x-fluxkit-fault` request header. Default true. */
  readonly allowFaultHeader?: boolean;
  /** Serve every spec even when it does not list the provider among its servers. Default false. */
  readonly allEndpoints?: boolean;
  /** `image_url`s that are not data URIs or emulator files: stand-in image (default) or 422. */
  readonly remoteImages?: RemoteImagePolicy;
  /** X-Fal-Webhook-User-Id of deliveries. Default "fluxkit-emulator". */
  readonly webhookUserId?: string;
  /** Unexpected internal errors are reported here. Default: console.error. */
  readonly onError?: (error: unknown) => void;
}

export interface EmulatorEndpoint {
  readonly id: string;
  readonly app: string;
  readonly packageName: string;
  /** e.g. `/fal-ai/flux-lora/image-to-image` */
  readonly submitPath: string;
  /** The normalized spec it was generated from, repo-relative, e.g. `specs/normalized/flux-lora.yaml`. */
  readonly specFile: string;
}

export interface EmulatorStats {
  /** Requests per queue route, faulted ones included. */
  readonly requests: Record<RouteName, number>;
  readonly fileRequests: number;
  /** Submits answered 200 (a job was created, even if the answer was then lost or garbled). */
  readonly jobsCreated: number;
  /** Submits refused with 4xx (auth, validation) or by a fault before a job was created. */
  readonly submitsRefused: number;
  /**
   * Jobs per idempotency key: the `idempotency-key` / `x-idempotency-key` header when sent,
   * else a hash of endpoint + canonical body. A count above 1 is a job submitted twice.
   */
  readonly jobsByIdempotencyKey: Readonly<Record<string, number>>;
  readonly duplicateSubmits: readonly string[];
  readonly faultsInjected: Readonly<Partial<Record<FaultName, number>>>;
  readonly jobs: Readonly<Record<JobState, number>>;
  readonly webhooks: { readonly delivered: number; readonly failed: number };
}

export interface JobSnapshot {
  readonly requestId: string;
  readonly endpointId: string;
  readonly app: string;
  readonly state: JobState;
  readonly queuePosition: number | undefined;
  readonly logs: readonly QueueLog[];
  readonly cancelled: boolean;
  readonly output: JsonObject | undefined;
  readonly failure: JobFailure | undefined;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>`: the base URL clients point at. */
  readonly url: string;
  readonly port: number;
  readonly provider: ProviderName;
  readonly auth: AuthScheme;
  readonly endpoints: readonly EmulatorEndpoint[];
  /** `<url>/.well-known/jwks.json` */
  readonly jwksUrl: string;
  close(): Promise<void>;
  stats(): EmulatorStats;
  resetStats(): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Manual latency: completes a running job (or all running jobs); returns how many. */
  finish(requestId?: string): number;
  job(requestId: string): JobSnapshot | undefined;
  /** Resolves when the job is COMPLETED. */
  waitForJob(requestId: string): Promise<JobSnapshot>;
  /** Resolves with the record of the job's webhook delivery, once attempted. */
  waitForWebhook(requestId: string): Promise<WebhookDeliveryRecord>;
  /**
   * Sends a completed job's webhook delivery again, as fal does when it retries one: the same
   * body, signed anew at `signedAtMs` (default now; an old time makes a stale delivery).
   */
  redeliverWebhook(requestId: string, options?: { readonly signedAtMs?: number }): Promise<WebhookDeliveryRecord>;
  webhookDeliveries(): readonly WebhookDeliveryRecord[];
  jwks(): Jwks;
  /** Validates a value against `components.schemas.<schema>` of an endpoint's spec (e.g. "Output"). */
  validateSchema(endpointId: string, schema: string, value: unknown): ValidationIssue[];
}

/** fal's queue host: gateways answer with URLs on it, and clients swap in their own origin. */
export const FAL_QUEUE_ORIGIN = "https://queue.fal.run";
const MAX_BODY_BYTES = 64 * 1024 * 1024;

interface FollowUpRoute {
  readonly operationId: Exclude<OperationId, "submit">;
  readonly method: string;
  readonly pattern: RegExp;
  readonly app: string;
  readonly endpoint: EndpointSpec;
}

interface JobContext {
  readonly endpoint: EndpointSpec;
  readonly webhookUrl: string | undefined;
}

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const provider = parseProvider(options.provider ?? "fal");
  const auth = PROVIDER_AUTH[provider];
  const latency = parseLatency(options.latency ?? "instant");
  const concurrency = parseInteger(options.concurrency ?? 2, "concurrency", 1, 10_000);
  const port = parseInteger(options.port ?? 0, "port", 0, 65_535);
  const host = options.host ?? "127.0.0.1";
  if (options.token !== undefined && options.token.trim() === "") throw new ConfigError("token", "Invalid token: expected a non-empty string.");
  const remoteImages = options.remoteImages ?? "placeholder";
  if (remoteImages !== "placeholder" && remoteImages !== "reject") {
    throw new ConfigError("remoteImages", `Invalid remoteImages "${String(remoteImages)}": expected placeholder or reject.`);
  }
  const onError = options.onError ?? ((error: unknown) => console.error("fluxkit-emulator:", error));
  const seed = options.seed ?? 0;

  const catalog = loadSpecCatalog(options.specs);
  const served = options.allEndpoints === true ? catalog : catalog.filter((e) => e.providers.some((p) => p.provider === provider));
  if (served.length === 0) {
    throw new ConfigError("provider", `No spec lists provider ${provider} among its servers; pass allEndpoints (--all-endpoints) to serve them anyway.`);
  }
  const validator = new SpecValidator(catalog);
  const random = createRandom(seed);
  const faultRandom = createRandom(`${String(seed)}:faults`);
  const faults = new FaultInjector(options.faults ?? [], faultRandom, options.allowFaultHeader ?? true);
  const files = new FileStore();
  const signer = new WebhookSigner(options.webhookUserId ?? "fluxkit-emulator");

  const submitRoutes = new Map(served.map((e) => [e.submit.path, e] as const));
  const followUps: FollowUpRoute[] = [];
  for (const endpoint of served) {
    for (const op of endpoint.operations) {
      if (op.operationId === "submit") continue;
      const source = op.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace("{request_id}", "([^/]+)");
      followUps.push({
        operationId: op.operationId,
        method: op.method,
        pattern: new RegExp(`^${source}$`),
        app: endpoint.app,
        endpoint,
      });
    }
  }

  let stats = emptyStats();
  const contexts = new Map<Job, JobContext>();
  const deliveries: WebhookDeliveryRecord[] = [];
  const deliveryWaiters = new Map<string, Array<(r: WebhookDeliveryRecord) => void>>();
  const pendingDeliveries = new Set<Promise<void>>();
  let origin = "";

  const deliveryBodies = new Map<string, { readonly url: string; readonly body: WebhookDeliveryBody }>();
  const onComplete = (job: Job): void => {
    const context = contexts.get(job);
    if (context?.webhookUrl === undefined) return;
    const outcome = job.outcome;
    const ok = outcome !== undefined && "output" in outcome;
    const failure = outcome !== undefined && "failure" in outcome ? outcome.failure : undefined;
    const body: WebhookDeliveryBody = {
      request_id: job.id,
      gateway_request_id: job.id,
      status: ok ? "OK" : "ERROR",
      payload: ok ? outcome.output : (failure?.body ?? null),
      error: ok ? null : `Invalid status code: ${failure?.status ?? 500}`,
      payload_error: null,
    };
    deliveryBodies.set(job.id, { url: context.webhookUrl, body });
    const delivery = deliverWebhook(signer, context.webhookUrl, body).then((record) => {
      deliveries.push(record);
      if (record.responseStatus !== undefined && record.responseStatus < 300) stats.webhooks.delivered++;
      else stats.webhooks.failed++;
      for (const resolve of deliveryWaiters.get(job.id) ?? []) resolve(record);
      deliveryWaiters.delete(job.id);
    });
    pendingDeliveries.add(delivery);
    void delivery.finally(() => pendingDeliveries.delete(delivery));
  };
  const simulator = new QueueSimulator(concurrency, latency, onComplete);

  /** URLs in queue answers: the gateways answer on queue.fal.run, fal on its own origin. */
  const queueOrigin = (): string => (auth === "bearer" ? FAL_QUEUE_ORIGIN : origin);
  const jobUrls = (job: Job): { response_url: string; status_url: string; cancel_url: string } => {
    const base = `${queueOrigin()}/${job.app}/requests/${job.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  };
  const statusBody = (job: Job, withLogs: boolean): JsonObject => {
    const urls = jobUrls(job);
    const logs = withLogs ? job.logs.map((l) => ({ ...l })) : null;
    switch (job.state) {
      case "IN_QUEUE":
        return { status: "IN_QUEUE", request_id: job.id, queue_position: simulator.position(job), ...urls, logs, metrics: {} };
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
  };

  const checkAuth = (req: IncomingMessage): JsonReply | undefined => {
    const value = headerValue(req, "authorization");
    const expected = auth === "bearer" ? "Bearer" : "Key";
    const hint = `this emulator plays ${provider}, which expects \`Authorization: ${expected} <token>\``;
    if (value === undefined || value.trim() === "") return { status: 401, body: { detail: `Missing Authorization header: ${hint}.` } };
    const match = /^(\S+)\s+(\S.*)$/.exec(value.trim());
    if (match === null || match[1]?.toLowerCase() !== expected.toLowerCase()) {
      return { status: 401, body: { detail: `Wrong authorization scheme: ${hint}.` } };
    }
    if (options.token !== undefined && match[2] !== options.token) return { status: 401, body: { detail: "Invalid token." } };
    return undefined;
  };

  const submit = async (req: IncomingMessage, raw: Buffer, url: URL, endpoint: EndpointSpec, jobFaults: readonly Fault[]): Promise<JsonReply> => {
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
      random,
      remoteImages,
      localFile: (target) => {
        const local = target.pathname.startsWith("/files/") && (target.origin === origin || isLoopback(target.hostname));
        if (!local) return undefined;
        return files.get(decodeURIComponent(target.pathname.slice("/files/".length)))?.bytes ?? "missing";
      },
    });
    if ("issues" in planned) return validationFailed(planned.issues);

    const timeoutHeader = headerValue(req, "x-fal-request-timeout");
    const priority = headerValue(req, "x-fal-queue-priority") === "low" ? "low" : "normal";
    const id = randomUuid(random);
    const plan = planned.plan;
    const job = simulator.submit({
      id,
      endpointId: endpoint.id,
      app: endpoint.app,
      priority,
      ...(timeoutHeader === undefined ? {} : { startTimeoutMs: Number(timeoutHeader) * 1000 }),
      produce: (j) => produceOutcome(j, plan, jobFaults),
    });
    contexts.set(job, { endpoint, webhookUrl: webhook });
    const key = headerValue(req, "idempotency-key") ?? headerValue(req, "x-idempotency-key") ?? sha256Hex(`${endpoint.id}\n${canonicalJson(body)}`);
    const count = (stats.jobsByIdempotencyKey[key] ?? 0) + 1;
    stats.jobsByIdempotencyKey[key] = count;
    if (count === 2) stats.duplicateSubmits.push(key);
    stats.jobsCreated++;
    return {
      status: 200,
      headers: { "x-fal-request-id": id },
      body: { status: "IN_QUEUE", request_id: id, ...jobUrls(job), queue_position: simulator.position(job), logs: null, metrics: {} },
    };
  };

  const produceOutcome = (job: Job, plan: GenerationPlan, jobFaults: readonly Fault[]) => {
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
    return { output: renderOutput(plan, files, origin, job.inferenceTime ?? 0.001) };
  };

  const followUp = async (
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: FollowUpRoute,
    job: Job,
    faultsHere: readonly Fault[],
  ): Promise<JsonReply | undefined> => {
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
          return { status: job.state === "COMPLETED" ? 200 : 202, headers: idHeader, body: statusBody(job, withLogs) };
        }
        await streamStatus(res, {
          simulator,
          job,
          render: (j) => statusBody(j, withLogs),
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
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", origin);
    const method = req.method ?? "GET";
    const path = url.pathname;

    if (method === "GET" && path === "/.well-known/jwks.json") return writeJson(res, { status: 200, body: signer.jwks() });
    if (method === "GET" && path.startsWith("/files/")) {
      stats.fileRequests++;
      const file = files.get(decodeURIComponent(path.slice("/files/".length)));
      if (file === undefined) return writeJson(res, { status: 404, body: { detail: "File not found." } });
      res.writeHead(200, {
        "content-type": file.contentType,
        "content-length": String(file.bytes.length),
        "cache-control": "public, max-age=31536000, immutable",
      });
      res.end(file.bytes);
      return;
    }
    if (method === "GET" && (path === "/" || path === "/health")) {
      return writeJson(res, {
        status: 200,
        body: { emulator: "fluxkit", provider, auth, endpoints: served.map((e) => ({ id: e.id, app: e.app, submit_path: e.submit.path })) },
      });
    }

    // Which queue route, endpoint and job this request is for.
    let routeName: RouteName;
    let endpoint: EndpointSpec;
    let follow: { route: FollowUpRoute; requestId: string } | undefined;
    const submitEndpoint = submitRoutes.get(path);
    if (submitEndpoint !== undefined && method === "POST") {
      routeName = "submit";
      endpoint = submitEndpoint;
    } else {
      const matched = findFollowUp(followUps, method, path);
      if (matched === undefined) {
        const known = submitEndpoint !== undefined || followUps.some((r) => r.pattern.test(path));
        return writeJson(
          res,
          known
            ? { status: 405, body: { detail: `Method ${method} is not allowed on ${path}.` } }
            : { status: 404, body: { detail: `Not found: ${method} ${path}. Served endpoints: ${served.map((e) => e.submit.path).join(", ")}.` } },
        );
      }
      follow = matched;
      endpoint = matched.route.endpoint;
      routeName = ROUTE_OF[matched.route.operationId];
    }
    stats.requests[routeName]++;

    // Endpoints of one app share their follow-up routes: a follow-up belongs to its job's endpoint.
    const faultEndpoint = follow === undefined ? endpoint.id : (simulator.get(follow.requestId)?.endpointId ?? endpoint.id);
    let picked: Fault[];
    try {
      picked = faults.pick({ route: routeName, endpoint: faultEndpoint, requestId: follow?.requestId, header: headerValue(req, "x-fluxkit-fault") });
    } catch (error) {
      if (routeName === "submit") stats.submitsRefused++;
      return writeJson(res, { status: 400, body: { detail: (error as Error).message } });
    }
    for (const f of picked) stats.faultsInjected[f.name] = (stats.faultsInjected[f.name] ?? 0) + 1;
    const has = (name: FaultName): boolean => picked.some((f) => f.name === name);

    // A slow server has the whole request before it takes its time: a client that gives up
    // (or dies) during the delay still leaves a submit that creates its job.
    const slow = picked.some((f) => f.name === "slow");
    const submitBody = slow && routeName === "submit" ? await readBody(req, MAX_BODY_BYTES) : undefined;
    const delay = Math.max(0, ...picked.filter((f) => f.name === "slow").map((f) => f.delayMs ?? 1000));
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (has("drop") || (routeName === "stream" && has("lost-response"))) {
      if (routeName === "submit") stats.submitsRefused++;
      req.socket.destroy();
      return;
    }
    for (const f of picked) {
      const infra = infrastructureError(f);
      if (infra !== undefined) {
        if (routeName === "submit") stats.submitsRefused++;
        return writeJson(res, infra);
      }
    }
    const denied = checkAuth(req);
    if (denied !== undefined) {
      if (routeName === "submit") stats.submitsRefused++;
      return writeJson(res, denied);
    }

    let reply: JsonReply | undefined;
    if (follow === undefined) {
      reply = await submit(req, submitBody ?? (await readBody(req, MAX_BODY_BYTES)), url, endpoint, picked);
      if (reply.status >= 400) stats.submitsRefused++;
    } else {
      const job = simulator.get(follow.requestId);
      if (job === undefined || job.app !== follow.route.app) {
        reply = { status: 404, body: { detail: `Request ${follow.requestId} not found under ${follow.route.app}.` } };
      } else {
        reply = await followUp(req, res, url, follow.route, job, picked);
      }
    }
    if (reply === undefined) return;
    if (has("lost-response")) {
      req.socket.destroy();
      return;
    }
    writeJson(res, reply, has("malformed-json"));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        if (!res.headersSent) writeJson(res, { status: 413, body: { detail: error.message } });
        return;
      }
      onError(error);
      if (!res.headersSent)
        writeJson(res, { status: 500, body: { detail: `Emulator error: ${(error as Error).message}`, error_type: "internal_server_error" } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  let closed: Promise<void> | undefined;
  const snapshot = (job: Job): JobSnapshot => ({
    requestId: job.id,
    endpointId: job.endpointId,
    app: job.app,
    state: job.state,
    queuePosition: job.state === "IN_QUEUE" ? simulator.position(job) : undefined,
    logs: [...job.logs],
    cancelled: job.cancelled,
    output: job.outcome !== undefined && "output" in job.outcome ? job.outcome.output : undefined,
    failure: job.outcome !== undefined && "failure" in job.outcome ? job.outcome.failure : undefined,
  });

  return {
    url: origin,
    port: address.port,
    provider,
    auth,
    endpoints: served.map((e) => ({ id: e.id, app: e.app, packageName: e.packageName, submitPath: e.submit.path, specFile: e.file })),
    jwksUrl: `${origin}/.well-known/jwks.json`,
    close() {
      closed ??= (async () => {
        simulator.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await Promise.allSettled([...pendingDeliveries]);
      })();
      return closed;
    },
    stats: () => ({ ...structuredClone(stats), jobs: jobCounts() }),
    resetStats: () => {
      stats = emptyStats();
    },
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    finish: (requestId) => simulator.finish(requestId),
    job: (requestId) => {
      const job = simulator.get(requestId);
      return job === undefined ? undefined : snapshot(job);
    },
    waitForJob: async (requestId) => {
      const job = simulator.get(requestId);
      if (job === undefined) throw new Error(`Unknown request id ${requestId}.`);
      return snapshot(await simulator.completed(job));
    },
    waitForWebhook: (requestId) => {
      const done = deliveries.find((d) => d.requestId === requestId);
      if (done !== undefined) return Promise.resolve(done);
      return new Promise((resolve) => {
        const list = deliveryWaiters.get(requestId) ?? [];
        list.push(resolve);
        deliveryWaiters.set(requestId, list);
      });
    },
    webhookDeliveries: () => [...deliveries],
    redeliverWebhook: async (requestId, redeliver = {}) => {
      const sent = deliveryBodies.get(requestId);
      if (sent === undefined)
        throw new Error(`No webhook delivery to repeat for ${requestId}: the job is unknown, not completed, or was submitted without fal_webhook.`);
      const record = await deliverWebhook(signer, sent.url, sent.body, redeliver.signedAtMs);
      deliveries.push(record);
      return record;
    },
    jwks: () => signer.jwks(),
    validateSchema: (endpointId, schema, value) => {
      const endpointSpec = catalog.find((e) => e.id === endpointId);
      if (endpointSpec === undefined) throw new Error(`Unknown endpoint ${endpointId}.`);
      return validator.validateSchema(endpointSpec, schema, value);
    },
  };

  function jobCounts(): Record<JobState, number> {
    const counts: Record<JobState, number> = { IN_QUEUE: 0, IN_PROGRESS: 0, COMPLETED: 0 };
    for (const j of simulator.all()) counts[j.state]++;
    return counts;
  }
}

type Counters = {
  -readonly [K in Exclude<keyof EmulatorStats, "jobs" | "webhooks" | "duplicateSubmits" | "jobsByIdempotencyKey" | "faultsInjected">]: EmulatorStats[K];
} & {
  jobsByIdempotencyKey: Record<string, number>;
  duplicateSubmits: string[];
  faultsInjected: Partial<Record<FaultName, number>>;
  webhooks: { delivered: number; failed: number };
};

function emptyStats(): Counters {
  return {
    requests: Object.fromEntries(ROUTES.map((r) => [r, 0])) as Record<RouteName, number>,
    fileRequests: 0,
    jobsCreated: 0,
    submitsRefused: 0,
    jobsByIdempotencyKey: {},
    duplicateSubmits: [],
    faultsInjected: {},
    webhooks: { delivered: 0, failed: 0 },
  };
}

const ROUTE_OF: Readonly<Record<Exclude<OperationId, "submit">, RouteName>> = {
  getStatus: "status",
  streamStatus: "stream",
  getResult: "result",
  cancel: "cancel",
};

function findFollowUp(routes: readonly FollowUpRoute[], method: string, path: string): { route: FollowUpRoute; requestId: string } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match?.[1] !== undefined) return { route, requestId: decodeURIComponent(match[1]) };
  }
  return undefined;
}

function validationFailed(issues: ValidationIssue[]): JsonReply {
  return { status: 422, body: { detail: issues } };
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
