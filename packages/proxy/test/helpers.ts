/**
 * Real parts on loopback: the emulator as the provider, a counting pass-through in front of it
 * (every request that reaches "upstream" is a hit, whatever its route), and the proxy on a
 * `node:http` server through the Node adapter. Every proxy answer a test reads is recorded, so a
 * suite can assert that none of them carries the token.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEmulator, type Emulator, type EmulatorOptions } from "@fluxkit/emulator";
import { createProxy, type ProxyOptions } from "../src/index.js";
import { type NodeAdapterOptions, toNodeHandler } from "../src/node.js";

export const TOKEN = "fal-test-key-7f3a9c1e5b2d4f60a8e1";
export const SECRET = "proxy-test-secret-0123456789abcdef-0123456789";

export interface UpstreamHit {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface Upstream {
  readonly url: string;
  readonly emulator: Emulator;
  readonly hits: UpstreamHit[];
  /** Extra headers on every upstream answer (to prove the proxy strips them). */
  extraHeaders: Record<string, string>;
  /** Rewrites JSON answer bodies (to make the upstream echo a secret). */
  transformBody: ((body: string) => string) | undefined;
  /** Answer every request with this status and body instead of the emulator's. */
  override: { status: number; body: string } | undefined;
  close(): Promise<void>;
}

export async function startUpstream(options: EmulatorOptions = {}): Promise<Upstream> {
  const emulator = await createEmulator({ provider: "fal", token: TOKEN, latency: "instant", ...options });
  const upstream: Omit<Upstream, "url" | "close"> = { emulator, hits: [], extraHeaders: {}, transformBody: undefined, override: undefined };
  const server = createServer((req, res) => {
    upstream.hits.push({ method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers });
    if (upstream.override !== undefined) {
      res.writeHead(upstream.override.status, { "content-type": "application/json", ...upstream.extraHeaders });
      res.end(upstream.override.body);
      return;
    }
    void relay(req, res).catch(() => res.destroy());
  });
  const relay = async (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string" && name !== "host") headers.set(name, value);
    const answer = await fetch(`${emulator.url}${req.url}`, {
      method: req.method ?? "GET",
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection") out[name] = value;
    });
    res.writeHead(answer.status, { ...out, ...upstream.extraHeaders });
    if ((answer.headers.get("content-type") ?? "").includes("text/event-stream") && answer.body !== null) {
      res.flushHeaders();
      const reader = answer.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
      res.end();
      return;
    }
    const text = await answer.text();
    res.end(upstream.transformBody === undefined ? text : upstream.transformBody(text));
  };
  const url = await listen(server);
  return Object.assign(upstream, {
    url,
    close: async () => {
      await closeServer(server);
      await emulator.close();
    },
  });
}

export interface RunningProxy {
  readonly url: string;
  readonly logs: string[];
  close(): Promise<void>;
}

/** Callers identify with `x-test-user` (a stand-in for the app's session): no header, no caller. */
export function testAuthorize(request: Request): string | undefined {
  return request.headers.get("x-test-user") ?? undefined;
}

export async function startProxy(options: Partial<ProxyOptions> & Pick<ProxyOptions, "endpoints">, adapter: NodeAdapterOptions = {}): Promise<RunningProxy> {
  const logs: string[] = [];
  const proxy = createProxy({ secret: SECRET, token: TOKEN, authorize: testAuthorize, log: (m) => logs.push(m), provider: "fal", ...options });
  const server = createServer(toNodeHandler(proxy, adapter));
  const url = await listen(server);
  return { url, logs, close: () => closeServer(server) };
}

/** Serves any Fetch handler (a Hono app's `fetch`) through the Node adapter. */
export async function serveFetch(handler: (request: Request) => Promise<Response>): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(toNodeHandler(handler));
  const url = await listen(server);
  return { url, close: () => closeServer(server) };
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/** Every proxy answer read through `raw`, for the no-token assertion. */
export const answers: RawAnswer[] = [];

/**
 * A request with the exact request target given (no URL normalization, unlike fetch), so path
 * tricks arrive as an attacker would send them.
 */
export function raw(
  base: string,
  method: string,
  target: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; chunks?: readonly Buffer[] } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, method, path: target, headers: options.headers ?? {}, setHost: options.headers?.host === undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const answer = { status: res.statusCode ?? 0, headers: res.headers, text, json };
        answers.push(answer);
        resolve(answer);
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (options.chunks !== undefined) {
      for (const chunk of options.chunks) req.write(chunk);
      req.end();
    } else req.end(options.body);
  });
}

/** JSON submit as `user` (`null`: nobody signed in). */
export function submit(base: string, path: string, body: unknown, user: string | null = "alice", headers: Record<string, string> = {}): Promise<RawAnswer> {
  return raw(base, "POST", path, {
    headers: { "content-type": "application/json", ...(user === null ? {} : { "x-test-user": user }), ...headers },
    body: JSON.stringify(body),
  });
}

export function detailOf(answer: RawAnswer): string {
  const body = answer.json as { detail?: unknown } | undefined;
  return typeof body?.detail === "string" ? body.detail : JSON.stringify(body?.detail);
}

export function errorTypeOf(answer: RawAnswer): unknown {
  return (answer.json as { error_type?: unknown } | undefined)?.error_type;
}

/** Waits (bounded) until `check` holds. */
export async function until(check: () => boolean, what: string, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`Timed out waiting for ${what}.`);
}

export function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
