/**
 * Request dispatch: the static routes (JWKS, files, health), then for a queue route its
 * match, the faults it draws, the auth check, and the answer of the queue route, with the
 * faults that act on the answer (lost, garbled) applied last.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type AuthPolicy, checkAuthorization } from "./auth.js";
import { type Fault, type FaultInjector, type FaultName, infrastructureError } from "./faults.js";
import type { FileStore } from "./file-store.js";
import { type JsonReply, headerValue, readBody, writeJson } from "./http-io.js";
import type { QueueSimulator } from "./queue-simulator.js";
import type { QueueRoutes } from "./queue-routes.js";
import type { RouteTable } from "./route-table.js";
import type { EndpointSpec } from "./spec-catalog.js";
import type { StatsRecorder } from "./stats.js";
import type { Jwks } from "./webhooks.js";

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface RoutingContext {
  readonly routes: RouteTable;
  readonly queueRoutes: QueueRoutes;
  readonly served: readonly EndpointSpec[];
  readonly auth: AuthPolicy;
  readonly faults: FaultInjector;
  readonly simulator: QueueSimulator;
  readonly files: FileStore;
  readonly stats: StatsRecorder;
  jwks(): Jwks;
  /** The emulator's own origin, known once it listens. */
  origin(): string;
}

export function createRequestHandler(ctx: RoutingContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { routes, stats, simulator } = ctx;

  const serveStatic = (res: ServerResponse, method: string, path: string): boolean => {
    if (method !== "GET") return false;
    if (path === "/.well-known/jwks.json") {
      writeJson(res, { status: 200, body: ctx.jwks() });
      return true;
    }
    if (path.startsWith("/files/")) {
      stats.fileRequest();
      const file = ctx.files.get(decodeURIComponent(path.slice("/files/".length)));
      if (file === undefined) {
        writeJson(res, { status: 404, body: { detail: "File not found." } });
        return true;
      }
      res.writeHead(200, {
        "content-type": file.contentType,
        "content-length": String(file.bytes.length),
        "cache-control": "public, max-age=31536000, immutable",
      });
      res.end(file.bytes);
      return true;
    }
    if (path === "/" || path === "/health") {
      const { provider, auth } = ctx.auth;
      const endpoints = ctx.served.map((e) => ({ id: e.id, app: e.app, submit_path: e.submit.path }));
      writeJson(res, { status: 200, body: { emulator: "fluxkit", provider, auth, endpoints } });
      return true;
    }
    return false;
  };

  return async (req, res) => {
    const url = new URL(req.url ?? "/", ctx.origin());
    const method = req.method ?? "GET";
    const path = url.pathname;
    if (serveStatic(res, method, path)) return;

    const match = routes.match(method, path);
    if (match.kind === "wrong-method") return writeJson(res, { status: 405, body: { detail: `Method ${method} is not allowed on ${path}.` } });
    if (match.kind === "unknown") {
      const served = ctx.served.map((e) => e.submit.path).join(", ");
      return writeJson(res, { status: 404, body: { detail: `Not found: ${method} ${path}. Served endpoints: ${served}.` } });
    }
    const isSubmit = match.kind === "submit";
    const routeName = match.kind === "submit" ? "submit" : match.route.route;
    const refuse = (): void => {
      if (isSubmit) stats.submitRefused();
    };
    stats.request(routeName);

    // Endpoints of one app share their follow-up routes: a follow-up belongs to its job's endpoint.
    const endpointId = match.kind === "submit" ? match.endpoint.id : (simulator.get(match.requestId)?.endpointId ?? match.route.endpoint.id);
    let picked: Fault[];
    try {
      picked = ctx.faults.pick({
        route: routeName,
        endpoint: endpointId,
        requestId: match.kind === "follow-up" ? match.requestId : undefined,
        header: headerValue(req, "x-fluxkit-fault"),
      });
    } catch (error) {
      refuse();
      return writeJson(res, { status: 400, body: { detail: (error as Error).message } });
    }
    for (const f of picked) stats.faultInjected(f.name);
    const has = (name: FaultName): boolean => picked.some((f) => f.name === name);

    // A slow server has the whole request before it takes its time: a client that gives up
    // (or dies) during the delay still leaves a submit that creates its job.
    const slow = picked.filter((f) => f.name === "slow");
    const submitBody = slow.length > 0 && isSubmit ? await readBody(req, MAX_BODY_BYTES) : undefined;
    const delay = Math.max(0, ...slow.map((f) => f.delayMs ?? 1000));
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (has("drop") || (routeName === "stream" && has("lost-response"))) {
      refuse();
      req.socket.destroy();
      return;
    }
    for (const f of picked) {
      const infra = infrastructureError(f);
      if (infra !== undefined) {
        refuse();
        return writeJson(res, infra);
      }
    }
    const denied = checkAuthorization(req, ctx.auth);
    if (denied !== undefined) {
      refuse();
      return writeJson(res, denied);
    }

    let reply: JsonReply | undefined;
    if (match.kind === "submit") {
      reply = await ctx.queueRoutes.submit(req, submitBody ?? (await readBody(req, MAX_BODY_BYTES)), url, match.endpoint, picked);
      if (reply.status >= 400) refuse();
    } else {
      const job = simulator.get(match.requestId);
      if (job === undefined || job.app !== match.route.app) {
        reply = { status: 404, body: { detail: `Request ${match.requestId} not found under ${match.route.app}.` } };
      } else {
        reply = await ctx.queueRoutes.followUp(req, res, url, match.route, job, picked);
      }
    }
    if (reply === undefined) return;
    if (has("lost-response")) {
      req.socket.destroy();
      return;
    }
    writeJson(res, reply, has("malformed-json"));
  };
}
