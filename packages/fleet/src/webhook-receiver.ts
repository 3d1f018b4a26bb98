/**
 * `flux webhook-receiver`: an HTTP server for fal's webhook deliveries (`?fal_webhook=`). Each
 * delivery is verified with @fluxkit/queue's verifier (ED25519 over id, user, timestamp and the
 * body's hash; keys from a JWKS; ±300 s), then handed to the job it belongs to: stored once in
 * Redis, where the worker holding the job picks it up and completes the job (downloading the
 * images to its --out). The receiver needs no provider token.
 *
 * Answers: a forged or stale delivery is refused (401; 400 when malformed) and changes nothing;
 * a delivery for an unknown request id, a finished job, or one already received is acknowledged
 * (200) and ignored, since fal retries a delivery up to 10 times and must be able to stop.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebhookVerificationError, type WebhookVerifier } from "@fluxkit/queue";
import type { Redis } from "ioredis";
import { storeDelivery } from "./deliveries.js";
import { messageOf } from "./errors.js";
import { keys } from "./names.js";
import { type LineQueue, openQueue } from "./queues.js";
import { jobOfRequest } from "./submit-records.js";

export type DeliveryOutcome =
  | { readonly outcome: "accepted"; readonly requestId: string; readonly job: string }
  | { readonly outcome: "ignored"; readonly requestId: string; readonly reason: "unknown request id" | "job already finished" | "duplicate delivery" }
  | { readonly outcome: "refused"; readonly reason: string; readonly status: number };

export interface WebhookReceiverOptions {
  readonly redis: Redis;
  readonly verifier: WebhookVerifier;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1; `0.0.0.0` to accept deliveries from other machines. */
  readonly host?: string;
  /** Larger bodies are refused (413). Default 32 MiB. */
  readonly maxBodyBytes?: number;
  readonly onDelivery?: (outcome: DeliveryOutcome) => void;
  readonly onError?: (error: unknown) => void;
}

export interface WebhookReceiver {
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

const STATUS_OF_REASON: Readonly<Record<string, number>> = {
  missing_header: 401,
  bad_signature: 401,
  stale: 401,
  malformed: 400,
  // The keys could not be fetched: not the sender's fault, and fal will deliver again.
  jwks_unavailable: 503,
};

/** Unknown ids are kept a little while: the delivery may beat the worker's record of its request id. */
const UNKNOWN_DELIVERY_TTL_SECONDS = 60 * 60;

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const queues = new Map<string, LineQueue>();
  const queueOf = (name: string): LineQueue => {
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = openQueue(options.redis, name);
      queues.set(name, queue);
    }
    return queue;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "POST") return reply(res, 405, { detail: "Deliveries are POSTed." });
    const body = await readBody(req, maxBody);
    if (body === undefined) return reply(res, 413, { detail: `The body is larger than ${maxBody} bytes.` });
    let requestId: string;
    try {
      requestId = (await options.verifier.verify({ headers: req.headers, body })).request_id;
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      const status = STATUS_OF_REASON[error.reason] ?? 401;
      options.onDelivery?.({ outcome: "refused", reason: `${error.reason}: ${error.message}`, status });
      return reply(res, status, { status: "refused", reason: error.reason, detail: error.message });
    }
    const text = body.toString("utf8");
    const owner = await jobOfRequest(options.redis, requestId);
    const ignored = (reason: "unknown request id" | "job already finished" | "duplicate delivery") => {
      options.onDelivery?.({ outcome: "ignored", requestId, reason });
      reply(res, 200, { status: "ignored", reason });
    };
    if (owner === undefined) {
      await options.redis.set(keys.delivery(requestId), text, "EX", UNKNOWN_DELIVERY_TTL_SECONDS, "NX");
      return ignored("unknown request id");
    }
    const state = await queueOf(owner.queue).getJobState(owner.job);
    if (state === "completed" || state === "failed") return ignored("job already finished");
    if (!(await storeDelivery(options.redis, requestId, text))) return ignored("duplicate delivery");
    options.onDelivery?.({ outcome: "accepted", requestId, job: owner.job });
    reply(res, 200, { status: "accepted" });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      // Redis or the keys were unavailable: a 503 makes fal deliver again later.
      if (!res.headersSent) reply(res, 503, { status: "error", detail: `The delivery could not be handled now: ${messageOf(error)}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/** The raw body (a signature only verifies over the bytes as sent); undefined when too large. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
