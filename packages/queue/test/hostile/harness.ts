/**
 * The hostile-server suite's parts: real `node:http` servers on 127.0.0.1 (the provider, a
 * foreign origin that counts every request it gets), two injected fetches besides the global
 * one, and the leak check every error goes through. No mocks: every byte crosses a socket.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, expect } from "vitest";
import type { FetchLike } from "../../src/index.js";

/** Long and random-looking, so that 4 of its characters in a row never occur by chance in a message. */
export const TOKEN = "hQ7vZkP2wXm9JtRb4LcYn8FdGs3UaEo6VxKi";
/** A run of this many token characters anywhere in an error counts as a leak. */
export const LEAK_RUN = 4;

export interface Hit {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

export interface TestServer {
  readonly url: string;
  readonly hits: Hit[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** A loopback server; the handler sees the whole request body. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      hits.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, body });
      Promise.resolve(handler(req, res, body)).catch(() => res.destroy());
    });
  });
  // Sockets that hang on purpose must not keep close() waiting.
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/**
 * Maps made-up hosts onto loopback servers, so that https origins (and a downgrade to http of
 * the same host) can be played without certificates. The response's `url` is mapped back.
 */
export type Resolver = (url: URL) => string | undefined;

function mapped(url: string, resolve: Resolver | undefined): string {
  if (resolve === undefined) return url;
  const target = resolve(new URL(url));
  if (target === undefined) throw new TypeError(`fetch failed: no route to ${new URL(url).origin}`);
  return target;
}

function withUrl(response: Response, url: string, redirected: boolean): Response {
  Object.defineProperty(response, "url", { value: url });
  Object.defineProperty(response, "redirected", { value: redirected });
  return response;
}

/** The global fetch (undici), behind a resolver when one is given. */
export function globalFetch(resolve?: Resolver): FetchLike {
  if (resolve === undefined) return (url, init) => globalThis.fetch(url, init);
  return async (url, init) => withUrl(await globalThis.fetch(mapped(url, resolve), init), url, false);
}

const NULL_BODY = new Set([101, 204, 205, 304]);

function toResponse(res: IncomingMessage, url: string, redirected: boolean): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const status = res.statusCode ?? 0;
  const body = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
  if (body === null) res.resume();
  return withUrl(new Response(body, { status, headers }), url, redirected);
}

/**
 * A fetch in the style of node-fetch 2 (node:http underneath): it honours `redirect`, but when
 * it follows ("follow", its default) it forwards every header, Authorization included, to
 * wherever the Location points. `ignoreRedirectMode` makes it follow even under "manual".
 */
export function nodeStyleFetch(options: { resolve?: Resolver; ignoreRedirectMode?: boolean } = {}): FetchLike & { requested: string[] } {
  const requested: string[] = [];
  const once = (url: string, method: string, headers: Record<string, string>, body: string | undefined, signal: AbortSignal | undefined) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      requested.push(`${method} ${url}`);
      if (signal?.aborted) return reject(signal.reason);
      const req = httpRequest(mapped(url, options.resolve), { method, headers, ...(signal ? { signal } : {}) }, resolve);
      req.on("error", reject);
      req.end(body);
    });
  const fetch = (async (url: string, init: RequestInit) => {
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    let method = init.method ?? "GET";
    let body = typeof init.body === "string" ? init.body : undefined;
    const signal = init.signal ?? undefined;
    let current = url;
    for (let hops = 0; ; hops++) {
      const res = await once(current, method, headers, body, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      const follows = [301, 302, 303, 307, 308].includes(status) && location !== undefined;
      const mode = options.ignoreRedirectMode ? "follow" : (init.redirect ?? "follow");
      if (!follows || mode === "manual" || hops >= 20) return toResponse(res, current, hops > 0);
      if (mode === "error") {
        res.resume();
        throw new TypeError(`redirect mode is set to error: ${current}`);
      }
      res.resume();
      if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      current = new URL(location, current).href;
    }
  }) as FetchLike & { requested: string[] };
  fetch.requested = requested;
  return fetch;
}

/** Every string an error exposes: message, stack, fields, detail, issues, the cause chain. */
export function errorStrings(error: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const stack: unknown[] = [error];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") {
      out.push(value);
      continue;
    }
    if (value === null || typeof value !== "object" || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof Error) {
      out.push(value.message, value.stack ?? "", value.name);
      stack.push(value.cause);
    }
    for (const key of Reflect.ownKeys(value)) {
      const child = (value as Record<string | symbol, unknown>)[key];
      if (typeof key === "string") out.push(key);
      stack.push(child);
    }
  }
  return out;
}

/** Characters of the token found in runs of LEAK_RUN or more, summed over every string. */
export function leakedCharacters(strings: readonly string[], token = TOKEN): number {
  let leaked = 0;
  for (const text of strings) {
    let i = 0;
    while (i < text.length) {
      let best = 0;
      for (let start = 0; start < token.length; start++) {
        let n = 0;
        while (i + n < text.length && start + n < token.length && text[i + n] === token[start + n]) n++;
        best = Math.max(best, n);
      }
      if (best >= LEAK_RUN) {
        leaked += best;
        i += best;
      } else i++;
    }
  }
  return leaked;
}

/** Running totals for the suite's summary line. */
export const tally = { cases: 0, foreignRequests: 0, leakedCharacters: 0, refusedRogueFollows: 0 };

/** Leak check of one error: counts into the tally and returns what leaked. */
export function leaksOf(error: unknown): number {
  const n = leakedCharacters(errorStrings(error));
  tally.leakedCharacters += n;
  return n;
}

/** Collects unhandled rejections while a suite runs. */
export function watchUnhandled(): { readonly reasons: unknown[]; stop(): Promise<void> } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => reasons.push(reason);
  process.on("unhandledRejection", listener);
  return {
    reasons,
    async stop() {
      // Rejections surface on a later turn: let them arrive first.
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.off("unhandledRejection", listener);
    },
  };
}

/**
 * Frames one describe block of the suite: unhandled rejections are watched from before its
 * servers start until after they close, and none may occur; then its summary line is logged
 * (`details` by default: the cases run and the token characters leaked so far).
 */
export function watchSuite(name: string, details = () => `${tally.cases} cases, leaked token characters ${tally.leakedCharacters}`): void {
  let unhandled: ReturnType<typeof watchUnhandled> | undefined;
  beforeAll(() => {
    unhandled = watchUnhandled();
  });
  afterAll(async () => {
    await unhandled?.stop();
    console.log(`hostile ${name}: ${details()}, unhandled rejections ${unhandled?.reasons.length}`);
    expect(unhandled?.reasons).toEqual([]);
  });
}

/** A describe block's loopback server: started before its tests, closed after them. */
export function suiteServer(handler: Handler): TestServer {
  let server: TestServer | undefined;
  const started = (): TestServer => {
    if (server === undefined) throw new Error("the suite's server is not started: use it in a test or a hook, after beforeAll");
    return server;
  };
  beforeAll(async () => {
    server = await startServer(handler);
  });
  afterAll(() => server?.close());
  return {
    get url() {
      return started().url;
    },
    get hits() {
      return started().hits;
    },
    close: () => started().close(),
  };
}

/** The follow-up routes of one job on a server, as the client derives them. */
export const APP = "fal-ai/flux-lora";
export const jobPath = (id: string) => `/${APP}/requests/${id}`;
