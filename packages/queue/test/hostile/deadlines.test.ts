/**
 * Servers that never answer: the cancel sent after a timeout, the submit, a status poll, a body
 * that stops half way, a fetch that ignores its signal, a JWKS host. Every call settles (the
 * test's own generous timeout is the bound, not a timed assertion) with a typed error that says
 * what happened to the job.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionError, createQueueClient, createWebhookVerifier, type FetchLike, TimeoutError, WebhookVerificationError } from "../../src/index.js";
import { fluxLora, sampleOutput } from "../fixtures/endpoints.js";
import { jobPath, leaksOf, sendJson, startServer, tally, TOKEN, type TestServer, suiteServer, watchSuite } from "./harness.js";

/** Behaviour per job id (or submit prompt): which route hangs. */
function handler(base: () => string) {
  return (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "POST") {
      const prompt = (JSON.parse(body) as { prompt: string }).prompt;
      if (prompt === "hang-submit") return; // never answers
      const job = `${base()}${jobPath(prompt)}`;
      return sendJson(res, 200, { status: "IN_QUEUE", request_id: prompt, status_url: `${job}/status`, response_url: job, cancel_url: `${job}/cancel` });
    }
    const id = /\/requests\/([^/]+)/.exec(path)?.[1] ?? "";
    if (path.endsWith("/cancel")) {
      if (id.startsWith("hang-cancel")) return; // never answers
      return sendJson(res, 202, { status: "CANCELLATION_REQUESTED" });
    }
    if (path.endsWith("/status")) {
      if (id.startsWith("hang-status")) return;
      if (id.startsWith("stall-result")) return sendJson(res, 200, { status: "COMPLETED", metrics: {} });
      return sendJson(res, 202, { status: "IN_PROGRESS", logs: [] });
    }
    if (id.startsWith("stall-result")) {
      // Headers and half a body, then nothing.
      res.writeHead(200, { "content-type": "application/json" });
      res.write(JSON.stringify(sampleOutput).slice(0, 40));
      return;
    }
    sendJson(res, 404, { detail: "unknown" });
  };
}

describe("hostile: deadlines", () => {
  watchSuite("deadlines");
  const server = suiteServer(handler(() => server.url));

  const client = (fetch?: FetchLike) =>
    createQueueClient({
      provider: { baseUrl: server.url, auth: "bearer" },
      token: TOKEN,
      polling: { initialIntervalMs: 20, maxIntervalMs: 50 },
      ...(fetch === undefined ? {} : { fetch }),
    });
  const settle = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => e,
    );

  it("run: a cancel that never answers does not outlive the timeout; the error says it was not confirmed", async () => {
    tally.cases++;
    const error = await settle(client().run(fluxLora, { prompt: "hang-cancel-1" }, { timeout: 1_000 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ requestId: "hang-cancel-1", cancelConfirmed: false, jobMayExist: true });
    expect((error as Error).message).toMatch(/Cancelling request hang-cancel-1 was not confirmed/);
    expect(server.hits.some((h) => h.method === "PUT" && h.path.includes("hang-cancel-1"))).toBe(true);
    expect(leaksOf(error)).toBe(0);
  });

  it("subscribe: the same, for a job submitted elsewhere", async () => {
    tally.cases++;
    const error = await settle(client().subscribe({ endpoint: fluxLora, requestId: "hang-cancel-2" }, { timeout: 800, mode: "streaming" }));
    expect(error).toMatchObject({ name: "TimeoutError", requestId: "hang-cancel-2", cancelConfirmed: false });
  });

  it("a confirmed cancel says so", async () => {
    tally.cases++;
    const error = await settle(client().run(fluxLora, { prompt: "slow-1" }, { timeout: 2_000 }));
    expect(error).toMatchObject({
      name: "TimeoutError",
      requestId: "slow-1",
      cancelConfirmed: true,
      cancelOutcome: "CANCELLATION_REQUESTED",
      jobMayExist: false,
    });
  });

  it("a submit that never answers: the timeout ends it, and the error says a job may exist", async () => {
    tally.cases++;
    const error = await settle(client().run(fluxLora, { prompt: "hang-submit" }, { timeout: 500 }));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ jobMayExist: true, cancelConfirmed: false, requestId: undefined });
    expect((error as Error).message).toMatch(/A job may have been created/);
  });

  it("a status poll or a result body that stops half way: the timeout ends it and cancels the job", async () => {
    for (const id of ["hang-status-1", "stall-result-1"]) {
      tally.cases++;
      const error = await settle(client().subscribe({ endpoint: fluxLora, requestId: id }, { timeout: 2_000 }));
      expect(error, id).toMatchObject({ name: "TimeoutError", requestId: id, cancelConfirmed: true });
    }
  });

  it("a fetch that ignores its signal and never settles cannot hold a call past its timeout", async () => {
    tally.cases++;
    const deaf: FetchLike = () => new Promise<Response>(() => {});
    const error = await settle(client(deaf).subscribe({ endpoint: fluxLora, requestId: "deaf-1" }, { timeout: 500 }));
    expect(error).toMatchObject({ name: "TimeoutError", requestId: "deaf-1", cancelConfirmed: false, jobMayExist: true });
  });

  it("without any timeout, one attempt is bounded by requestTimeout", async () => {
    tally.cases++;
    const bounded = createQueueClient({ provider: { baseUrl: server.url, auth: "bearer" }, token: TOKEN, retry: false, requestTimeout: 300 });
    const error = await settle(bounded.status({ endpoint: fluxLora, requestId: "hang-status-2" }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/no answer within 300 ms/);
    expect(error).toMatchObject({ requestId: "hang-status-2", retryable: true });
  });
});

describe("hostile: a JWKS host that hangs", () => {
  const NOW_S = 1_700_000_000;
  let keysServer: TestServer;
  let mode: "hang" | "serve" = "hang";
  let publicJwk: JsonWebKey;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
    privateKey = pair.privateKey;
    const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
    publicJwk = { kty: "OKP", crv: "Ed25519", x: jwk.x as string };
    keysServer = await startServer((_req, res) => {
      if (mode === "serve") sendJson(res, 200, { keys: [publicJwk] });
      // "hang": never answers
    });
  });
  afterAll(async () => {
    await keysServer.close();
    console.log(`hostile deadlines, with the JWKS host: ${tally.cases} cases`);
  });

  async function delivery(requestId: string) {
    const body = JSON.stringify({ request_id: requestId, status: "OK", payload: sampleOutput });
    const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
    const digest = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
    const signature = hex(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, new TextEncoder().encode(`${requestId}\nu\n${NOW_S}\n${digest}`)));
    return {
      body,
      headers: {
        "x-fal-webhook-request-id": requestId,
        "x-fal-webhook-user-id": "u",
        "x-fal-webhook-timestamp": String(NOW_S),
        "x-fal-webhook-signature": signature,
      },
    };
  }

  it("rejects (never accepts) while it hangs, with one fetch for concurrent deliveries, and recovers when it answers", async () => {
    tally.cases += 3;
    const verifier = createWebhookVerifier({ jwksUrl: `${keysServer.url}/jwks.json`, jwksTimeoutMs: 400, now: () => NOW_S * 1000 });
    mode = "hang";
    const [a, b] = await Promise.all([
      verifier.verify(await delivery("d1")).catch((e: unknown) => e),
      verifier.verify(await delivery("d2")).catch((e: unknown) => e),
    ]);
    for (const error of [a, b]) {
      expect(error).toBeInstanceOf(WebhookVerificationError);
      expect(error).toMatchObject({ reason: "jwks_unavailable", retryable: true });
    }
    expect(keysServer.hits).toHaveLength(1);
    // The next delivery tries again (the failed fetch is not cached), and hangs again.
    await expect(verifier.verify(await delivery("d3"))).rejects.toMatchObject({ reason: "jwks_unavailable" });
    expect(keysServer.hits).toHaveLength(2);
    mode = "serve";
    await expect(verifier.verify(await delivery("d4"))).resolves.toMatchObject({ status: "OK", request_id: "d4" });
    expect(keysServer.hits).toHaveLength(3);
  });
});
