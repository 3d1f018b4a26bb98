/**
 * `@fluxkit/proxy/node`: the Fetch handler on `node:http` and Express. The raw request target is
 * checked here, before a URL parser resolves its dot segments or reads `//host` as another host,
 * then the request becomes a Fetch `Request` and the answer is streamed back as it comes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { refuse } from "./refusal.js";
import { pathProblem } from "./routes.js";

export { createProxy, ProxyConfigError } from "./index.js";
export type { ProxyHandler, ProxyOptions } from "./index.js";

export interface NodeAdapterOptions {
  /**
   * The proxy's public origin (`https://app.example`). Set it behind a TLS-terminating reverse
   * proxy; by default the origin is the `Host` header on the socket's scheme.
   */
  readonly origin?: string;
}

/** `(req, res)` for `http.createServer`, `(req, res, next)` for Express (`app.use(...)`). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void;

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function toNodeHandler(handler: (request: Request) => Promise<Response>, options: NodeAdapterOptions = {}): NodeHandler {
  const fixedOrigin = options.origin === undefined ? undefined : new URL(options.origin).origin;
  return (req, res, next) => {
    serve(handler, req, res, fixedOrigin).catch((error: unknown) => {
      if (next !== undefined) next(error);
      else if (!res.headersSent) void send(res, refuse(500, "proxy_internal_error", "The proxy failed unexpectedly."));
      else res.destroy();
    });
  };
}

async function serve(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
  fixedOrigin: string | undefined,
): Promise<void> {
  // Express strips its mount path from req.url; the proxy matches the full path.
  const target = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
  if (!target.startsWith("/")) {
    return send(res, refuse(400, "proxy_foreign_host", "Absolute-form request targets (a request for another host) are refused: this is not a forward proxy."));
  }
  const problem = pathProblem(target.split("?")[0] ?? "");
  if (problem !== undefined) return send(res, refuse(400, "proxy_path_rejected", problem));
  const host = req.headers.host ?? "";
  if (fixedOrigin === undefined && !HOST.test(host)) return send(res, refuse(400, "proxy_foreign_host", "The Host header is missing or malformed."));
  const origin = fixedOrigin ?? `${(req.socket as { encrypted?: boolean }).encrypted === true ? "https" : "http"}://${host}`;

  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  // The proxy's answers can be long (a status stream): stop work upstream when the caller leaves.
  const aborter = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) aborter.abort();
  });
  const method = (req.method ?? "GET").toUpperCase();
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal: aborter.signal };
  if (method !== "GET" && method !== "HEAD") {
    const parsed = (req as { body?: unknown }).body;
    if (req.readableEnded && parsed !== undefined) {
      // A body-parsing middleware ran first: its result is all that is left of the body.
      init.body = typeof parsed === "string" ? parsed : parsed instanceof Uint8Array ? new Uint8Array(parsed) : JSON.stringify(parsed);
      headers.delete("content-length");
    } else {
      init.body = Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>;
      init.duplex = "half";
    }
  }
  const response = await handler(new Request(`${origin}${target}`, init));
  await send(res, response);
}

/** Writes a Fetch response, streaming its body with backpressure; stops reading when the caller leaves. */
async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  const onClose = () => void reader.cancel().catch(() => undefined);
  res.on("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) return;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
    }
    res.end();
  } catch {
    // The upstream stream broke or the caller left: end the response where it is.
    res.destroy();
  } finally {
    res.off("close", onClose);
  }
}
