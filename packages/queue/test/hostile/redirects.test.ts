/**
 * Every 3xx code on every route (submit, status, stream, result, cancel), to another origin,
 * to the same host over plain http (a downgrade), and to the same origin; with the global fetch
 * and with an injected fetch that forwards every header when it follows. Nothing may reach
 * another origin, nothing of the token may show in an error, every refusal keeps the request
 * id, and a submit's refusal says the job may exist.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createQueueClient, FluxkitError, ForeignUrlError, type FetchLike, RedirectError } from "../../src/index.js";
import { fluxLora, sampleOutput } from "../fixtures/endpoints.js";
import { globalFetch, jobPath, leaksOf, nodeStyleFetch, type Resolver, sendJson, startServer, tally, TOKEN, type TestServer, watchSuite } from "./harness.js";

const CODES = [300, 301, 302, 303, 304, 305, 306, 307, 308] as const;
const ROUTES = ["submit", "status", "stream", "result", "cancel"] as const;
type Route = (typeof ROUTES)[number];
type Target = "cross-origin" | "downgrade" | "same-origin";

/** What this client follows by itself: 301/302/303/307/308 on GET, only 307/308 (method kept) otherwise. */
function followable(route: Route, code: number): boolean {
  const get = route === "status" || route === "stream" || route === "result";
  return get ? [301, 302, 303, 307, 308].includes(code) : code === 307 || code === 308;
}

const frame = (event: unknown) => `data: ${JSON.stringify(event)}\n\n`;

/** The real answer of each route, served under /moved/… (where a same-origin redirect points). */
function answer(route: Route, res: ServerResponse, base: string, id: string): void {
  switch (route) {
    case "submit": {
      const job = `${base}${jobPath(id)}`;
      sendJson(res, 200, { status: "IN_QUEUE", request_id: id, status_url: `${job}/status`, response_url: job, cancel_url: `${job}/cancel` });
      return;
    }
    case "status":
      sendJson(res, 200, { status: "COMPLETED", logs: [], metrics: {} });
      return;
    case "stream":
      res.writeHead(200, { "content-type": "text/event-stream" }).end(frame({ status: "COMPLETED", logs: [], metrics: {} }));
      return;
    case "result":
      sendJson(res, 200, sampleOutput);
      return;
    case "cancel":
      sendJson(res, 202, { status: "CANCELLATION_REQUESTED" });
      return;
  }
}

function routeOf(method: string, path: string): Route | undefined {
  if (method === "POST" && path === `/${fluxLora.app}`) return "submit";
  if (/\/requests\/[^/]+\/status\/stream$/.test(path)) return "stream";
  if (/\/requests\/[^/]+\/status$/.test(path)) return "status";
  if (method === "PUT" && /\/requests\/[^/]+\/cancel$/.test(path)) return "cancel";
  if (/\/requests\/[^/]+$/.test(path)) return "result";
  return undefined;
}

/**
 * The provider: every request names its scenario (`x-scenario` on a submit, the request id
 * `r-<code>-<target>` otherwise) and is answered with that redirect; `/moved/…` is the real answer.
 */
function providerHandler(base: () => string, locationFor: (target: Target, path: string) => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    const moved = url.pathname.startsWith("/moved/");
    const path = moved ? url.pathname.slice("/moved".length) : url.pathname;
    const route = routeOf(req.method ?? "GET", path);
    if (route === undefined) return sendJson(res, 404, { detail: "no such route" });
    const scenario = route === "submit" ? String(req.headers["x-scenario"] ?? "") : (/\/requests\/r-([^/]+)/.exec(path)?.[1] ?? "");
    const [code, target] = [Number(scenario.split("-")[0]), scenario.split("-").slice(1).join("-") as Target];
    if (moved || !(code >= 300 && code < 400)) return answer(route, res, base(), `r-done-${route}`);
    res.writeHead(code, { location: locationFor(target, url.pathname), "x-fal-request-id": `rid-${code}` }).end("moved");
  };
}

/** A foreign origin that answers like a provider would, so a client that trusted it would succeed. */
function foreignHandler(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  const route = routeOf(req.method ?? "GET", path) ?? "status";
  answer(route, res, "http://127.0.0.1:1", "foreign-job");
}

async function call(client: ReturnType<typeof createQueueClient>, route: Route, code: number, target: Target): Promise<unknown> {
  const job = { endpoint: fluxLora, requestId: `r-${code}-${target}` };
  switch (route) {
    case "submit":
      return client.submit(fluxLora, { prompt: "a fox" }, { headers: { "x-scenario": `${code}-${target}` } });
    case "status":
      return client.status(job);
    case "stream": {
      const seen: string[] = [];
      for await (const status of client.streamStatus(job)) seen.push(status.status);
      return seen;
    }
    case "result":
      return client.result(job);
    case "cancel":
      return client.cancel(job);
  }
}

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );

describe("hostile: redirects", () => {
  let provider: TestServer;
  let foreign: TestServer;
  let gateway: TestServer;
  let downgraded: TestServer;
  let rogueForeign: TestServer;
  let rogueProvider: TestServer;
  // Same-origin and cross-origin on real loopback addresses; the downgrade needs an https origin,
  // played by `https://gateway.test` mapped onto a loopback server (its http twin counts hits).
  const resolve: Resolver = (url) =>
    url.host === "gateway.test" ? `${url.protocol === "https:" ? gateway.url : downgraded.url}${url.pathname}${url.search}` : undefined;

  watchSuite(
    "redirects",
    () =>
      `${tally.cases} cases, foreign requests ${foreign.hits.length + downgraded.hits.length}, ` +
      `leaked token characters ${tally.leakedCharacters}; a fetch that ignores redirect: "manual" reached the other origin ` +
      `${rogueForeign.hits.length} times, and all ${tally.refusedRogueFollows} of its foreign answers were refused`,
  );
  beforeAll(async () => {
    foreign = await startServer(foreignHandler);
    rogueForeign = await startServer(foreignHandler);
    downgraded = await startServer(foreignHandler);
    provider = await startServer(
      providerHandler(
        () => provider.url,
        (target, path) => (target === "same-origin" ? `/moved${path}` : `${foreign.url}${path}?stolen=${TOKEN}`),
      ),
    );
    rogueProvider = await startServer(
      providerHandler(
        () => rogueProvider.url,
        (_target, path) => `${rogueForeign.url}${path}?stolen=${TOKEN}`,
      ),
    );
    gateway = await startServer(
      providerHandler(
        () => "https://gateway.test",
        (_target, path) => `http://gateway.test${path}?stolen=${TOKEN}`,
      ),
    );
  });

  afterAll(async () => {
    await Promise.all([provider, foreign, gateway, downgraded, rogueForeign, rogueProvider].map((s) => s?.close()));
  });

  const fetchers: Record<string, (resolver?: Resolver) => FetchLike> = {
    "global fetch": (resolver) => globalFetch(resolver),
    "injected fetch (forwards every header when it follows)": (resolver) => nodeStyleFetch(resolver === undefined ? {} : { resolve: resolver }),
  };

  const cases = Object.keys(fetchers).flatMap((fetcher) =>
    ROUTES.flatMap((route) => (["cross-origin", "downgrade", "same-origin"] as const).map((target) => ({ fetcher, route, target }))),
  );

  it.each(cases)("$route, $target, $fetcher: every 3xx code", async ({ fetcher, route, target }) => {
    const downgrade = target === "downgrade";
    const client = createQueueClient({
      provider: { baseUrl: downgrade ? "https://gateway.test" : provider.url, auth: "bearer" },
      token: TOKEN,
      fetch: (fetchers[fetcher] as (r?: Resolver) => FetchLike)(downgrade ? resolve : undefined),
      retry: false,
    });
    const foreignBefore = foreign.hits.length + downgraded.hits.length;
    for (const code of CODES) {
      tally.cases++;
      const result = await outcome(call(client, route, code, target));
      const where = `${route} ${code} ${target}`;
      if (target === "same-origin" && followable(route, code)) {
        expect(result.ok ? "ok" : String((result as { error: unknown }).error), where).toBe("ok");
        const movedHit = [...provider.hits].reverse().find((h) => h.path.startsWith("/moved/"));
        expect(movedHit?.authorization, where).toBe(`Bearer ${TOKEN}`);
        continue;
      }
      expect(result.ok, where).toBe(false);
      const error = (result as { error: unknown }).error;
      expect(error, where).toBeInstanceOf(FluxkitError);
      const expected = followable(route, code) ? ForeignUrlError : RedirectError;
      expect(error, `${where}: ${String(error)}`).toBeInstanceOf(expected);
      const fluxError = error as FluxkitError;
      expect(fluxError.requestId, where).toBe(route === "submit" ? `rid-${code}` : `r-${code}-${target}`);
      expect(fluxError.jobMayExist, where).toBe(route === "submit");
      expect(leaksOf(error), where).toBe(0);
    }
    expect(foreign.hits.length + downgraded.hits.length - foreignBefore).toBe(0);
  });

  it.each(ROUTES)("%s: a fetch that ignores redirect: 'manual' may reach another origin, but its answer is refused", async (route) => {
    // Its own provider and foreign server, so these requests (the fetch's, not the client's) are counted apart.
    const client = createQueueClient({
      provider: { baseUrl: rogueProvider.url, auth: "bearer" },
      token: TOKEN,
      fetch: nodeStyleFetch({ ignoreRedirectMode: true }),
      retry: false,
    });
    for (const code of CODES) {
      tally.cases++;
      const before = rogueForeign.hits.length;
      const result = await outcome(call(client, route, code, "cross-origin"));
      const where = `${route} ${code}`;
      expect(result.ok, where).toBe(false);
      const error = (result as { error: unknown }).error;
      const followedByTheFetch = rogueForeign.hits.length > before;
      expect(followedByTheFetch, where).toBe([301, 302, 303, 307, 308].includes(code));
      expect(error, `${where}: ${String(error)}`).toBeInstanceOf(followedByTheFetch ? ForeignUrlError : RedirectError);
      if (route !== "submit") expect((error as FluxkitError).requestId, where).toBe(`r-${code}-cross-origin`);
      expect((error as FluxkitError).jobMayExist, where).toBe(route === "submit");
      expect(leaksOf(error), where).toBe(0);
      if (followedByTheFetch) tally.refusedRogueFollows++;
    }
  });
});
