/**
 * `provider: { proxyUrl }`: the same client talks to an `@fluxkit/proxy` route, which holds the
 * token. Nothing here may send or read a token.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FluxkitError, createQueueClient } from "../src/index.js";
import { fluxLora, sampleOutput } from "./fixtures/endpoints.js";
import { TOKEN, json, observedFetch, virtualClock } from "./helpers.js";

const PROXY = "https://app.example";
const APP_ROUTE = "/api/fal/fal-ai/flux-lora";

/** What an @fluxkit/proxy answers: its own origin and prefix, an opaque request id. */
function proxied(id: string): Record<string, unknown> {
  const base = `${PROXY}${APP_ROUTE}/requests/${id}`;
  return { status: "IN_QUEUE", request_id: id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel`, queue_position: 0 };
}

function routes(id: string) {
  return observedFetch({
    [`POST ${APP_ROUTE}`]: json(200, proxied(id)),
    [`GET ${APP_ROUTE}/requests/${id}/status`]: json(200, { status: "COMPLETED", logs: [], metrics: {} }),
    [`GET ${APP_ROUTE}/requests/${id}`]: json(200, sampleOutput),
  });
}

const globals = globalThis as { location?: unknown };
afterEach(() => {
  delete globals.location;
});

describe("provider: { proxyUrl }", () => {
  it("runs a job through the proxy without any Authorization header, even with a token in the environment", async () => {
    const { fetch, calls } = routes("p1.sig");
    const client = createQueueClient({ provider: { proxyUrl: `${PROXY}/api/fal/` }, fetch, clock: virtualClock().clock, env: { FLUXKIT_TOKEN: TOKEN } });
    const { data, requestId } = await client.run(fluxLora, { prompt: "a fox" });
    expect(requestId).toBe("p1.sig");
    expect(data).toEqual(sampleOutput);
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `POST ${PROXY}${APP_ROUTE}`,
      `GET ${PROXY}${APP_ROUTE}/requests/p1.sig/status`,
      `GET ${PROXY}${APP_ROUTE}/requests/p1.sig`,
    ]);
    for (const call of calls) expect(Object.keys(call.headers)).not.toContain("authorization");
    expect(JSON.stringify(calls)).not.toContain(TOKEN);
  });

  it("resolves a relative proxyUrl against the page in a browser", async () => {
    globals.location = { href: `${PROXY}/studio/index.html` };
    const { fetch, calls } = routes("p2.sig");
    const client = createQueueClient({ provider: { proxyUrl: "/api/fal" }, fetch, clock: virtualClock().clock });
    expect(client.provider.origin).toBe(PROXY);
    await client.run(fluxLora, { prompt: "a fox" });
    expect(calls.every((c) => c.url.startsWith(`${PROXY}/api/fal/`))).toBe(true);
  });

  it("derives follow-up routes under the proxy's prefix for a stored request id", async () => {
    const { fetch, calls } = routes("p3.sig");
    const client = createQueueClient({ provider: { proxyUrl: `${PROXY}/api/fal` }, fetch, clock: virtualClock().clock });
    await client.status({ endpoint: fluxLora, requestId: "p3.sig" });
    expect(calls[0]?.url).toBe(`${PROXY}${APP_ROUTE}/requests/p3.sig/status`);
  });

  it("refuses a token: the proxy holds it, a browser bundle must not", () => {
    const make = () => createQueueClient({ provider: { proxyUrl: `${PROXY}/api/fal` }, token: TOKEN });
    expect(make).toThrow(FluxkitError);
    expect(make).toThrow(/takes no token/);
    try {
      make();
    } catch (error) {
      expect((error as Error).message).not.toContain(TOKEN);
    }
  });

  it("says how to fix a relative proxyUrl outside a browser, and refuses other schemes", () => {
    expect(() => createQueueClient({ provider: { proxyUrl: "/api/fal" } })).toThrow(
      /Invalid proxyUrl "\/api\/fal": expected an http\(s\) URL, or a path such as \/api\/fal in a browser/,
    );
    expect(() => createQueueClient({ provider: { proxyUrl: "ftp://app.example/api/fal" } })).toThrow(/Invalid proxyUrl "ftp:/);
  });
});
