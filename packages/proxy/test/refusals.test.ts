/**
 * Deny by default, over real HTTP: every request the proxy must refuse gets the right status and
 * a body that says why, and the upstream (a counting pass-through in front of the emulator) sees
 * no request at all. No answer carries the provider token.
 */
import { createServer } from "node:http";
import { endpointPackages } from "@fluxkit/endpoints";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createSubmitLimiter } from "../src/index.js";
import {
  answers,
  closeServer,
  detailOf,
  errorTypeOf,
  listen,
  raw,
  type RawAnswer,
  type RunningProxy,
  startProxy,
  startUpstream,
  submit,
  TOKEN,
  type Upstream,
} from "./helpers.js";

const fluxLora = endpointPackages["fal-ai/flux-lora"].endpoint;
const flux1Dev = endpointPackages["fal-ai/flux-1/dev/image-to-image"].endpoint;
const SUBMIT = "/api/fal/fal-ai/flux-lora";
const VALID = { prompt: "a lighthouse", image_size: "square" };

let upstream: Upstream;
let proxy: RunningProxy;
/** A proxy with a Host allowlist and a tiny body cap. */
let strict: RunningProxy;
/** Any server a request might be steered to instead of the upstream. */
let decoy: { url: string; hits: number; close: () => Promise<void> };

beforeAll(async () => {
  upstream = await startUpstream({ latency: "manual" });
  const provider = { baseUrl: upstream.url, auth: "key" as const };
  proxy = await startProxy({ endpoints: [fluxLora, flux1Dev], provider, rateLimit: createSubmitLimiter({ max: 1000 }) });
  strict = await startProxy({ endpoints: [fluxLora], provider, maxBodyBytes: 1024, hosts: ["app.example"] });
  const server = createServer((_req, res) => {
    decoy.hits++;
    res.end("{}");
  });
  decoy = { url: await listen(server), hits: 0, close: () => closeServer(server) };
});

afterAll(async () => {
  await Promise.all([proxy?.close(), strict?.close(), decoy?.close()]);
  await upstream?.close();
  // No answer read in this file, refusal or not, carries the token.
  expect(answers.length).toBeGreaterThan(20);
  for (const answer of answers) {
    expect(answer.text).not.toContain(TOKEN);
    expect(JSON.stringify(answer.headers)).not.toContain(TOKEN);
  }
  for (const line of [...proxy.logs, ...strict.logs]) expect(line).not.toContain(TOKEN);
});

beforeEach(() => {
  upstream.hits.length = 0;
  decoy.hits = 0;
});

/** The refusal's status, error type and message, and no upstream hit. */
function expectRefused(answer: RawAnswer, status: number, errorType: string, detail: RegExp): void {
  expect({ status: answer.status, errorType: errorTypeOf(answer) }).toEqual({ status, errorType });
  expect(detailOf(answer)).toMatch(detail);
  expect(answer.headers["content-type"]).toBe("application/json");
  expect(upstream.hits).toEqual([]);
  expect(decoy.hits).toBe(0);
}

describe("unknown endpoints and routes", () => {
  it("refuses an endpoint nobody listed, even one the catalog has", async () => {
    expectRefused(
      await submit(proxy.url, "/api/fal/fal-ai/flux-pro", VALID),
      404,
      "proxy_route_not_found",
      /No served endpoint at \/fal-ai\/flux-pro.*serves: \/fal-ai\/flux-lora/,
    );
    expectRefused(
      await submit(proxy.url, "/api/fal/fal-ai/flux-lora/image-to-image", VALID),
      404,
      "proxy_route_not_found",
      /not a queue route of fal-ai\/flux-lora/,
    );
  });

  it("refuses paths that are not queue routes of a served app, and paths outside the base path", async () => {
    expectRefused(
      await raw(proxy.url, "GET", "/api/fal/fal-ai/flux-lora/requests", { headers: { "x-test-user": "alice" } }),
      404,
      "proxy_route_not_found",
      /not a queue route/,
    );
    expectRefused(
      await raw(proxy.url, "GET", "/api/fal/fal-ai/flux-lora/requests/x/logs", { headers: { "x-test-user": "alice" } }),
      404,
      "proxy_route_not_found",
      /not a queue route/,
    );
    expectRefused(
      await raw(proxy.url, "GET", "/admin", { headers: { "x-test-user": "alice" } }),
      404,
      "proxy_route_not_found",
      /outside this proxy's base path \/api\/fal/,
    );
  });

  it("refuses methods that do not fit the route, naming the right one", async () => {
    const get = await raw(proxy.url, "GET", SUBMIT, { headers: { "x-test-user": "alice" } });
    expectRefused(get, 405, "proxy_method_not_allowed", /GET is not allowed on the submit route; use POST/);
    expect(get.headers.allow).toBe("POST");
    expectRefused(
      await raw(proxy.url, "DELETE", `${SUBMIT}/requests/abc/status`, { headers: { "x-test-user": "alice" } }),
      405,
      "proxy_method_not_allowed",
      /use GET/,
    );
    expectRefused(
      await raw(proxy.url, "POST", `${SUBMIT}/requests/abc/cancel`, { headers: { "x-test-user": "alice" } }),
      405,
      "proxy_method_not_allowed",
      /use PUT/,
    );
  });

  it("refuses query parameters it does not forward (no webhooks from callers)", async () => {
    expectRefused(
      await submit(proxy.url, `${SUBMIT}?fal_webhook=${encodeURIComponent(decoy.url)}`, VALID),
      400,
      "proxy_query_rejected",
      /"fal_webhook" is not accepted on the submit route/,
    );
    expectRefused(
      await raw(proxy.url, "GET", `${SUBMIT}/requests/abc/status?logs=2`, { headers: { "x-test-user": "alice" } }),
      400,
      "proxy_query_rejected",
      /only logs=0 or logs=1/,
    );
  });
});

describe("foreign hosts", () => {
  it("refuses an absolute-form request target (use as a forward proxy)", async () => {
    expectRefused(await raw(proxy.url, "GET", `${decoy.url}/fal-ai/flux-lora/requests/x/status`), 400, "proxy_foreign_host", /Absolute-form request targets/);
  });

  it("refuses a protocol-relative path that a URL parser would read as another host", async () => {
    const { host } = new URL(decoy.url);
    expectRefused(await submit(proxy.url, `//${host}/api/fal/fal-ai/flux-lora`, VALID), 400, "proxy_path_rejected", /Empty path segments/);
  });

  it("refuses a target URL header instead of following it", async () => {
    expectRefused(
      await submit(proxy.url, SUBMIT, VALID, "alice", { "x-fal-target-url": `${decoy.url}/fal-ai/flux-lora` }),
      400,
      "proxy_header_rejected",
      /takes no x-fal-target-url header/,
    );
  });

  it("refuses pages of other origins and cross-site requests", async () => {
    expectRefused(
      await submit(proxy.url, SUBMIT, VALID, "alice", { origin: "https://evil.example" }),
      403,
      "proxy_foreign_host",
      /Requests from https:\/\/evil\.example are refused/,
    );
    expectRefused(await submit(proxy.url, SUBMIT, VALID, "alice", { "sec-fetch-site": "cross-site" }), 403, "proxy_foreign_host", /another site/);
  });

  it("refuses a Host it does not serve (DNS rebinding), and serves the one it does", async () => {
    expectRefused(await submit(strict.url, SUBMIT, VALID, "alice", { host: "evil.example" }), 403, "proxy_foreign_host", /Host evil\.example is not served/);
    const served = await submit(strict.url, SUBMIT, VALID, "alice", { host: "app.example" });
    expect(served.status).toBe(200);
    expect(upstream.hits).toHaveLength(1);
  });
});

describe("path tricks", () => {
  const tricks: [string, string, RegExp][] = [
    ["dot-dot segments", "/api/fal/fal-ai/flux-lora/requests/x/../../../flux-pro", /Dot segments/],
    ["dot-dot out of the base path", "/api/fal/../../admin/fal-ai/flux-lora", /Dot segments/],
    ["a single dot segment", "/api/fal/./fal-ai/flux-lora", /Dot segments/],
    ["an encoded slash", "/api/fal/fal-ai%2Fflux-lora", /Percent-encoded/],
    ["encoded dot-dot", "/api/fal/fal-ai/flux-lora/requests/x/%2e%2e/%2e%2e/status", /Percent-encoded/],
    ["double encoding", "/api/fal/fal-ai%252Fflux-lora", /Percent-encoded/],
    ["a backslash", "/api/fal/fal-ai\\flux-lora", /Backslashes/],
    ["an empty segment", "/api/fal//fal-ai/flux-lora", /Empty path segments/],
  ];
  it.each(tricks)("refuses %s", async (_name, target, detail) => {
    expectRefused(await submit(proxy.url, target, VALID), 400, "proxy_path_rejected", detail);
  });
});

describe("bodies", () => {
  it("refuses a declared body over the cap before reading it", async () => {
    const body = JSON.stringify({ prompt: "x".repeat(2000) });
    expectRefused(
      await raw(strict.url, "POST", SUBMIT, { headers: { host: "app.example", "content-type": "application/json", "x-test-user": "alice" }, body }),
      413,
      "proxy_body_too_large",
      /has \d+ bytes, over this proxy's limit of 1024 bytes \(maxBodyBytes\)/,
    );
  });

  it("refuses a chunked body (no declared length) once it passes the cap", async () => {
    const chunk = Buffer.from(`{"prompt":"${"y".repeat(600)}`);
    const answer = await raw(strict.url, "POST", SUBMIT, {
      headers: { host: "app.example", "content-type": "application/json", "x-test-user": "alice", "transfer-encoding": "chunked" },
      chunks: [chunk, Buffer.from("y".repeat(600)), Buffer.from('"}')],
    });
    expectRefused(answer, 413, "proxy_body_too_large", /is over this proxy's limit of 1024 bytes/);
  });

  it("refuses a submit that is not JSON", async () => {
    expectRefused(
      await raw(proxy.url, "POST", SUBMIT, { headers: { "content-type": "text/plain", "x-test-user": "alice" }, body: "prompt=a" }),
      415,
      "proxy_unsupported_media_type",
      /must be JSON/,
    );
    expectRefused(
      await raw(proxy.url, "POST", SUBMIT, { headers: { "content-type": "application/json", "x-test-user": "alice" }, body: '{"prompt":' }),
      400,
      "proxy_invalid_json",
      /not valid JSON/,
    );
  });
});

describe("callers", () => {
  it("refuses a request nobody authorized", async () => {
    const answer = await submit(proxy.url, SUBMIT, VALID, null);
    expectRefused(answer, 401, "proxy_unauthorized", /Not signed in/);
    expect(answer.headers["www-authenticate"]).toBeDefined();
    expectRefused(await raw(proxy.url, "GET", `${SUBMIT}/requests/abc/status`), 401, "proxy_unauthorized", /Not signed in/);
  });

  it("refuses another caller's request id on every follow-up route", async () => {
    const mine = await submit(proxy.url, SUBMIT, { prompt: "alice's job" }, "alice");
    expect(mine.status).toBe(200);
    const id = (mine.json as { request_id: string }).request_id;
    expect(upstream.hits).toHaveLength(1);
    upstream.hits.length = 0;

    const base = `${SUBMIT}/requests/${id}`;
    for (const [method, path] of [
      ["GET", `${base}/status`],
      ["GET", `${base}/status/stream`],
      ["GET", base],
      ["PUT", `${base}/cancel`],
    ] as const) {
      expectRefused(
        await raw(proxy.url, method, path, { headers: { "x-test-user": "bob" } }),
        404,
        "proxy_request_not_found",
        /not found for this caller under fal-ai\/flux-lora/,
      );
    }
    // Its owner still gets it.
    const own = await raw(proxy.url, "GET", `${base}/status`, { headers: { "x-test-user": "alice" } });
    expect(own.status).toBe(202);
    expect(upstream.hits).toHaveLength(1);
  });

  it("refuses an edited id, a bare upstream id and an id moved to another app", async () => {
    const mine = await submit(proxy.url, SUBMIT, { prompt: "alice's second job" }, "alice");
    const id = (mine.json as { request_id: string }).request_id;
    upstream.hits.length = 0;
    const [encoded, mac] = id.split(".") as [string, string];
    const bare = Buffer.from(encoded, "base64url").toString("utf8");
    const flipped = `${encoded}.${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`;
    const alice = { headers: { "x-test-user": "alice" } };
    for (const path of [
      `${SUBMIT}/requests/${flipped}/status`,
      `${SUBMIT}/requests/${bare}/status`,
      `/api/fal/fal-ai/flux-1/requests/${id}/status`,
      `${SUBMIT}/requests/${"A".repeat(400)}.${mac}/status`,
    ]) {
      expectRefused(await raw(proxy.url, "GET", path, alice), 404, "proxy_request_not_found", /not found for this caller/);
    }
  });

  it("answers 429 with Retry-After when the rate limit hook refuses", async () => {
    const limited = await startProxy({
      endpoints: [fluxLora],
      provider: { baseUrl: upstream.url, auth: "key" },
      rateLimit: ({ caller, route }) =>
        route === "submit" && caller === "carol" ? { allowed: false, retryAfterSeconds: 30, message: "2 images per minute" } : { allowed: true },
    });
    try {
      const answer = await submit(limited.url, SUBMIT, VALID, "carol");
      expectRefused(answer, 429, "proxy_rate_limited", /Rate limit reached: 2 images per minute\. Try again in 30 s\./);
      expect(answer.headers["retry-after"]).toBe("30");
      expect(answer.headers["x-fal-retryable"]).toBe("true");
    } finally {
      await limited.close();
    }
  });
});

describe("input", () => {
  it("refuses invalid input with the endpoint's own validator, in fal's 422 shape", async () => {
    const answer = await submit(proxy.url, SUBMIT, { prompt: 5, num_images: 9, image_size: "huge" });
    expectRefused(answer, 422, "proxy_invalid_input", /"loc":\["body","prompt"\].*"type":"type"/);
    const detail = (answer.json as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc.join("."));
    expect(detail).toEqual(expect.arrayContaining(["body.prompt", "body.num_images", "body.image_size"]));
    expectRefused(await submit(proxy.url, SUBMIT, {}), 422, "proxy_invalid_input", /must have required property 'prompt'/);
  });

  it("refuses fal headers with values it cannot vouch for", async () => {
    expectRefused(await submit(proxy.url, SUBMIT, VALID, "alice", { "x-fal-queue-priority": "urgent" }), 400, "proxy_header_rejected", /must be low or normal/);
    expectRefused(
      await submit(proxy.url, SUBMIT, VALID, "alice", { "x-fal-request-timeout": "-1" }),
      400,
      "proxy_header_rejected",
      /positive number of seconds/,
    );
  });
});
