/**
 * What the proxy lets through, over real HTTP: `@fluxkit/queue` with `{ proxyUrl }` runs jobs
 * (polling and streaming) and cancels them; the upstream gets the server's token and only that;
 * callers get their own ids and URLs, an allowlist of headers, and never the token.
 */
import { IMAGE_SIZE_PRESETS } from "@fluxkit/emulator";
import { fluxLora } from "@fluxkit/flux-lora";
import { fluxLoraImageToImage } from "@fluxkit/flux-lora-image-to-image";
import { createQueueClient, JobFailedError, type QueueStatus, ValidationError } from "@fluxkit/queue";
import { Hono } from "hono";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createProxy } from "../src/index.js";
import {
  answers,
  detailOf,
  errorTypeOf,
  raw,
  type RunningProxy,
  SECRET,
  serveFetch,
  startProxy,
  startUpstream,
  submit,
  TOKEN,
  until,
  type Upstream,
} from "./helpers.js";

const SUBMIT = "/api/fal/fal-ai/flux-lora";
/** The pixel size the emulator renders the "square" preset at, from its own table. */
const SQUARE = IMAGE_SIZE_PRESETS.square!;
let instant: Upstream;
let manual: Upstream;
let proxy: RunningProxy;
let manualProxy: RunningProxy;
/** Every request the "browser" side made and every answer it got, for the token checks. */
const seen: string[] = [];

/** A queue client as a browser would hold it: only the proxy URL, a session header, no token. */
function browserClient(base: string, user = "alice") {
  return createQueueClient({
    provider: { proxyUrl: `${base}/api/fal` },
    headers: { "x-test-user": user },
    env: {},
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      const copy = response.clone();
      seen.push(`${init.method} ${url} ${JSON.stringify(init.headers)} ${init.body ?? ""}`);
      // Streams are read by the client; record their headers only.
      if (!(copy.headers.get("content-type") ?? "").includes("event-stream")) seen.push(await copy.text());
      for (const [name, value] of copy.headers) seen.push(`${name}: ${value}`);
      return response;
    },
  });
}

beforeAll(async () => {
  instant = await startUpstream();
  manual = await startUpstream({ latency: "manual" });
  const endpoints = [fluxLora, fluxLoraImageToImage];
  proxy = await startProxy({ endpoints, provider: { baseUrl: instant.url, auth: "key" } });
  manualProxy = await startProxy({ endpoints, provider: { baseUrl: manual.url, auth: "key" } });
});

afterAll(async () => {
  await Promise.all([proxy?.close(), manualProxy?.close()]);
  await Promise.all([instant?.close(), manual?.close()]);
  expect(seen.length).toBeGreaterThan(10);
  for (const line of [...seen, ...answers.map((a) => `${a.text} ${JSON.stringify(a.headers)}`)]) expect(line).not.toContain(TOKEN);
  for (const line of [...proxy.logs, ...manualProxy.logs]) expect(line).not.toContain(TOKEN);
});

beforeEach(() => {
  for (const upstream of [instant, manual]) {
    upstream.hits.length = 0;
    upstream.extraHeaders = {};
    upstream.transformBody = undefined;
    upstream.override = undefined;
  }
});

describe("jobs through the proxy", () => {
  it("runs a job with the queue client's { proxyUrl }: the upstream gets the server's token, the caller gets its image", async () => {
    const client = browserClient(proxy.url);
    const { data, requestId } = await client.run(fluxLora, { prompt: "a lighthouse at dawn", image_size: "square", seed: 7 });
    expect(data.images).toHaveLength(1);
    expect(data.images[0]).toMatchObject(SQUARE);
    // An opaque id: the upstream id and a signature, never the upstream id alone.
    expect(requestId).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const upstreamId = Buffer.from(requestId.split(".")[0] as string, "base64url").toString("utf8");
    expect(instant.emulator.job(upstreamId)?.state).toBe("COMPLETED");
    // Upstream: exactly the queue routes, each with the server's token and none of the caller's headers.
    expect(instant.hits.map((h) => `${h.method} ${h.path}`)).toEqual([
      "POST /fal-ai/flux-lora",
      `GET /fal-ai/flux-lora/requests/${upstreamId}/status`,
      `GET /fal-ai/flux-lora/requests/${upstreamId}`,
    ]);
    for (const hit of instant.hits) {
      expect(hit.headers.authorization).toBe(`Key ${TOKEN}`);
      expect(hit.headers["x-test-user"]).toBeUndefined();
      expect(hit.headers.cookie).toBeUndefined();
    }
  });

  it("rewrites the queue URLs of every answer to the proxy's own origin and the caller's id", async () => {
    const answer = await submit(proxy.url, SUBMIT, { prompt: "urls", image_size: "square" });
    expect(answer.status).toBe(200);
    const body = answer.json as Record<string, string>;
    const base = `${proxy.url}/api/fal/fal-ai/flux-lora/requests/${body.request_id}`;
    expect(body).toMatchObject({ status: "IN_QUEUE", response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` });
    expect(answer.headers["x-fal-request-id"]).toBe(body.request_id);
    const upstreamId = Buffer.from((body.request_id as string).split(".")[0] as string, "base64url").toString("utf8");
    await instant.emulator.waitForJob(upstreamId);
    const status = await raw(proxy.url, "GET", `${SUBMIT}/requests/${body.request_id}/status?logs=1`, { headers: { "x-test-user": "alice" } });
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ status: "COMPLETED", request_id: body.request_id, status_url: `${base}/status` });
    for (const text of [answer.text, status.text]) {
      expect(text).not.toContain(instant.emulator.url);
      expect(text).not.toContain(upstreamId);
    }
    expect(instant.hits.at(-1)?.path).toBe(`/fal-ai/flux-lora/requests/${upstreamId}/status?logs=1`);
  });

  it("passes the status stream through event by event, with ids and URLs rewritten", async () => {
    const client = browserClient(manualProxy.url);
    const handle = await client.submit(fluxLora, { prompt: "stream me", image_size: "square" });
    const upstreamId = Buffer.from(handle.requestId.split(".")[0] as string, "base64url").toString("utf8");
    const updates: QueueStatus[] = [];
    const done = client.subscribe(handle, { mode: "streaming", logs: true, onQueueUpdate: (s) => updates.push(s) });
    // The job only completes when told to: the stream must already be delivering events by then.
    await until(() => updates.some((s) => s.status === "IN_PROGRESS"), "an IN_PROGRESS event through the proxy");
    expect(manual.emulator.finish(upstreamId)).toBe(1);
    const { data } = await done;
    expect(data.images[0]).toMatchObject(SQUARE);
    expect(updates.map((s) => s.status)).toContain("COMPLETED");
    expect(updates.flatMap((s) => s.logs.map((l) => l.message))).toContain("Starting inference");
    expect(manual.hits.map((h) => h.path)).toContain(`/fal-ai/flux-lora/requests/${upstreamId}/status/stream?logs=1`);

    // The raw events: the caller's id and the proxy's URLs only.
    const events = await raw(manualProxy.url, "GET", `${SUBMIT}/requests/${handle.requestId}/status/stream`, { headers: { "x-test-user": "alice" } });
    expect(events.headers["content-type"]).toBe("text/event-stream");
    expect(events.text).toMatch(/^data: \{"status":"COMPLETED","request_id":"[^"]+"/);
    expect(events.text).toContain(`"request_id":"${handle.requestId}"`);
    expect(events.text).not.toContain(upstreamId);
    expect(events.text).not.toContain(manual.emulator.url);
  });

  it("cancels a caller's job and only the caller's", async () => {
    const alice = browserClient(manualProxy.url, "alice");
    const bob = browserClient(manualProxy.url, "bob");
    const handle = await alice.submit(fluxLora, { prompt: "cancel me", image_size: "square" });
    await expect(bob.cancel(handle)).rejects.toMatchObject({ status: 404, errorType: "proxy_request_not_found" });
    expect(await alice.cancel(handle)).toBe("CANCELLATION_REQUESTED");
    const failed = await alice.subscribe(handle).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(JobFailedError);
    expect((failed as JobFailedError).errorType).toBe("request_cancelled");
  });

  it("gives a client whose own check is laxer (an older bundle) the proxy's field errors as a ValidationError", async () => {
    const lax = { ...fluxLoraImageToImage, validateInput: () => [] };
    const error = await browserClient(proxy.url)
      .submit(lax, { prompt: "no image" } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(422);
    expect((error as ValidationError).issues).toEqual([expect.objectContaining({ path: "image_url", keyword: "required" })]);
    expect(instant.hits).toEqual([]);
  });
});

describe("what comes back", () => {
  it("forwards only the allowlisted upstream headers", async () => {
    instant.extraHeaders = {
      "set-cookie": "upstream_session=abc; Path=/",
      "www-authenticate": 'Key realm="fal"',
      "proxy-authenticate": "Basic",
      "x-api-key": TOKEN,
      "x-upstream-token": TOKEN,
      "x-hop": "1",
      connection: "x-hop",
      "keep-alive": "timeout=99",
      "server-timing": "db;dur=53",
      "access-control-allow-origin": "*",
      "retry-after": "2",
      "x-fal-retryable": "true",
    };
    const answer = await submit(proxy.url, SUBMIT, { prompt: "headers", image_size: "square" });
    expect(answer.status).toBe(200);
    for (const name of [
      "set-cookie",
      "www-authenticate",
      "proxy-authenticate",
      "x-api-key",
      "x-upstream-token",
      "x-hop",
      "server-timing",
      "access-control-allow-origin",
    ]) {
      expect(answer.headers[name], name).toBeUndefined();
    }
    // Node's own server sends keep-alive: timeout=5 on every answer; the upstream's value must not pass.
    expect(answer.headers["keep-alive"]).not.toBe("timeout=99");
    expect(answer.headers.connection).not.toContain("x-hop");
    expect(answer.headers["retry-after"]).toBe("2");
    expect(answer.headers["x-fal-retryable"]).toBe("true");
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("redacts the token when the upstream echoes it", async () => {
    instant.transformBody = (body) => body.replace(/^\{/, `{"echo":"Key ${TOKEN}",`);
    const answer = await submit(proxy.url, SUBMIT, { prompt: "echo", image_size: "square" });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('"echo":"Key [redacted]"');
    expect(answer.text).not.toContain(TOKEN);
  });

  it("never serves an upstream HTML page: a non-JSON error is wrapped as JSON", async () => {
    instant.override = { status: 503, body: `<html><script>alert(1)</script>${TOKEN}</html>` };
    const answer = await submit(proxy.url, SUBMIT, { prompt: "html", image_size: "square" });
    expect(answer.status).toBe(503);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(detailOf(answer)).toContain("[redacted]");
    expect(answer.text).not.toContain(TOKEN);
  });

  it("turns an upstream that refuses the server's token into a 502 for the operator, not a sign-in prompt", async () => {
    instant.override = { status: 401, body: JSON.stringify({ detail: `Invalid key ${TOKEN}` }) };
    const answer = await submit(proxy.url, SUBMIT, { prompt: "bad key", image_size: "square" });
    expect({ status: answer.status, type: errorTypeOf(answer) }).toEqual({ status: 502, type: "proxy_upstream_auth" });
    expect(detailOf(answer)).toMatch(/refused this server's credentials/);
    expect(proxy.logs.at(-1)).toMatch(/refused the proxy's credentials \(401\)/);
  });

  it("answers 502 when the upstream cannot be reached, and logs why without the token", async () => {
    const unreachable = await startProxy({ endpoints: [fluxLora], provider: { baseUrl: "http://127.0.0.1:1", auth: "key" } });
    try {
      const answer = await submit(unreachable.url, SUBMIT, { prompt: "nobody home" });
      expect({ status: answer.status, type: errorTypeOf(answer) }).toEqual({ status: 502, type: "proxy_upstream_unreachable" });
      expect(unreachable.logs.join("\n")).toMatch(/could not reach the upstream for submit to fal-ai\/flux-lora/);
    } finally {
      await unreachable.close();
    }
  });

  it("redacts the token from its log when an app hook fails with it in the message", async () => {
    const leaky = await startProxy({
      endpoints: [fluxLora],
      provider: { baseUrl: instant.url, auth: "key" },
      authorize: () => {
        throw new Error(`session store down (connected with ${TOKEN})`);
      },
    });
    try {
      const answer = await submit(leaky.url, SUBMIT, { prompt: "x" });
      expect({ status: answer.status, type: errorTypeOf(answer) }).toEqual({ status: 500, type: "proxy_internal_error" });
      expect(leaky.logs.join("\n")).toContain("session store down (connected with [redacted])");
      expect(leaky.logs.join("\n")).not.toContain(TOKEN);
      expect(instant.hits).toEqual([]);
    } finally {
      await leaky.close();
    }
  });
});

describe("other origins (allowedOrigins) and anonymous callers", () => {
  it("answers the preflight of an allowed origin and marks its answers for CORS", async () => {
    const cors = await startProxy({
      endpoints: [fluxLora],
      provider: { baseUrl: instant.url, auth: "key" },
      allowedOrigins: ["app://studio", "https://studio.example"],
    });
    try {
      const preflight = await raw(cors.url, "OPTIONS", SUBMIT, {
        headers: { origin: "https://studio.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type, x-test-user" },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers).toMatchObject({
        "access-control-allow-origin": "https://studio.example",
        "access-control-allow-credentials": "true",
        "access-control-allow-headers": "content-type, x-test-user",
      });
      const answer = await submit(cors.url, SUBMIT, { prompt: "electron", image_size: "square" }, "alice", { origin: "app://studio" });
      expect(answer.status).toBe(200);
      expect(answer.headers["access-control-allow-origin"]).toBe("app://studio");
      const refused = await raw(cors.url, "OPTIONS", SUBMIT, { headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
      expect(refused.status).toBe(403);
    } finally {
      await cors.close();
    }
  });

  it("serves anonymous callers only when told to", async () => {
    const open = createProxy({ endpoints: [fluxLora], provider: { baseUrl: instant.url, auth: "key" }, token: TOKEN, secret: SECRET, allowAnonymous: true });
    const served = await serveFetch(open);
    try {
      const answer = await submit(served.url, SUBMIT, { prompt: "anyone", image_size: "square" }, null);
      expect(answer.status).toBe(200);
    } finally {
      await served.close();
    }
  });
});

describe("mounted in Hono", () => {
  it("runs a job through a Hono route that hands the request to the proxy", async () => {
    const handler = createProxy({
      endpoints: [fluxLora],
      provider: { baseUrl: instant.url, auth: "key" },
      token: TOKEN,
      secret: SECRET,
      authorize: (request) => request.headers.get("x-test-user"),
    });
    const app = new Hono();
    app.get("/", (c) => c.text("home"));
    app.all("/api/fal/*", (c) => handler(c.req.raw));
    const served = await serveFetch((request) => Promise.resolve(app.fetch(request)));
    try {
      const { data } = await browserClient(served.url).run(fluxLora, { prompt: "hono", image_size: "square" });
      expect(data.images[0]).toMatchObject(SQUARE);
      const refused = await raw(served.url, "GET", "/api/fal/fal-ai/flux-lora/requests/abc.def/status", { headers: { "x-test-user": "alice" } });
      expect(refused.status).toBe(404);
    } finally {
      await served.close();
    }
  });
});
