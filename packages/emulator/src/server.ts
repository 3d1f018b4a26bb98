/**
 * The emulator: a real HTTP server on loopback playing fal's queue (or a gateway reselling it)
 * for every endpoint of the spec catalog. This module wires the parts together: routing.ts
 * dispatches requests, queue-routes.ts answers them, stats.ts counts, webhook-deliveries.ts
 * sends results to webhooks.
 */
import { createServer, type Server } from "node:http";
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
import { FaultInjector, type FaultRule } from "./faults.js";
import { FileStore } from "./file-store.js";
import type { RemoteImagePolicy } from "./generation.js";
import { BodyTooLargeError, writeJson } from "./http-io.js";
import { type JobSnapshot, snapshotJob } from "./job-snapshot.js";
import { type Job, QueueSimulator } from "./queue-simulator.js";
import { QueueRoutes } from "./queue-routes.js";
import { createRandom } from "./random.js";
import { SpecValidator, type ValidationIssue } from "./request-validation.js";
import { RouteTable } from "./route-table.js";
import { createRequestHandler } from "./routing.js";
import { type EndpointSpecData, loadSpecCatalog } from "./spec-catalog.js";
import { type EmulatorStats, StatsRecorder } from "./stats.js";
import { WebhookDeliveries } from "./webhook-deliveries.js";
import { type Jwks, type WebhookDeliveryRecord, WebhookSigner } from "./webhooks.js";

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
  const faults = new FaultInjector(options.faults ?? [], createRandom(`${String(seed)}:faults`), options.allowFaultHeader ?? true);
  const files = new FileStore();
  const signer = new WebhookSigner(options.webhookUserId ?? "fluxkit-emulator");
  const stats = new StatsRecorder();
  const webhooks = new WebhookDeliveries(signer, (record) => stats.webhook(record.responseStatus !== undefined && record.responseStatus < 300));
  const simulator = new QueueSimulator(concurrency, latency, (job) => webhooks.jobCompleted(job));
  let origin = "";
  const queueRoutes = new QueueRoutes({
    simulator,
    validator,
    random,
    files,
    remoteImages,
    stats,
    webhooks,
    answersOnFalHost: auth === "bearer",
    origin: () => origin,
  });
  const handle = createRequestHandler({
    routes: new RouteTable(served),
    queueRoutes,
    served,
    auth: { provider, auth, token: options.token },
    faults,
    simulator,
    files,
    stats,
    jwks: () => signer.jwks(),
    origin: () => origin,
  });

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
  const snapshot = (job: Job): JobSnapshot => snapshotJob(job, simulator.position(job));
  return {
    url: origin,
    port: address.port,
    provider,
    auth,
    endpoints: served.map((e) => ({ id: e.id, app: e.app, packageName: e.packageName, submitPath: e.submit.path, specFile: e.specFile })),
    jwksUrl: `${origin}/.well-known/jwks.json`,
    close() {
      closed ??= (async () => {
        simulator.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await webhooks.settled();
      })();
      return closed;
    },
    stats: () => stats.snapshot(simulator.all()),
    resetStats: () => stats.reset(),
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
    waitForWebhook: (requestId) => webhooks.firstDelivery(requestId),
    webhookDeliveries: () => webhooks.records(),
    redeliverWebhook: (requestId, redeliver = {}) => webhooks.redeliver(requestId, redeliver.signedAtMs),
    jwks: () => signer.jwks(),
    validateSchema: (endpointId, schema, value) => {
      const endpointSpec = catalog.find((e) => e.id === endpointId);
      if (endpointSpec === undefined) throw new Error(`Unknown endpoint ${endpointId}.`);
      return validator.validateSchema(endpointSpec, schema, value);
    },
  };
}
