import { describe, expect, it } from "vitest";
import { ConnectionError, RateLimitError, RequestError, ServerError, TimeoutError } from "../src/index.js";
import { backoffDelay, connectionNeverEstablished, defaultRetryOptions, parseRetryAfter } from "../src/retry.js";
import { fluxLora } from "./fixtures/endpoints.js";
import { json, observedFetch, route, submitted, testClient, transportError } from "./helpers.js";

const job = { endpoint: fluxLora, requestId: "q1" };
const STATUS = route("GET", "q1", "/status");
const ok = json(202, { status: "IN_QUEUE", queue_position: 1 });

describe("retries of idempotent calls", () => {
  it.each([429, 502, 503, 504])("retries %i, then succeeds", async (status) => {
    const { fetch, calls } = observedFetch({ [STATUS]: [json(status, { detail: "busy" }), ok] });
    const { client, sleeps } = testClient(fetch);
    await expect(client.status(job)).resolves.toMatchObject({ status: "IN_QUEUE" });
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([375]); // 500 ms base, equal jitter at random() = 0.5
  });

  it("retries transport errors", async () => {
    const { fetch, calls } = observedFetch({ [STATUS]: [transportError("ECONNRESET"), ok] });
    const { client } = testClient(fetch);
    await expect(client.status(job)).resolves.toMatchObject({ status: "IN_QUEUE" });
    expect(calls).toHaveLength(2);
  });

  it("retries a stale keep-alive reset at once and outside the budget, so many pollers survive it", async () => {
    // 30 jobs polled by one client whose budget allows 2 retries: each first request hits a
    // socket the server closed while idle. All must succeed, without waiting.
    const jobs = Array.from({ length: 30 }, (_, i) => ({ endpoint: fluxLora, requestId: `r${i}` }));
    const routes = Object.fromEntries(jobs.map((j) => [route("GET", j.requestId, "/status"), [transportError("ECONNRESET"), ok]]));
    const { fetch, calls } = observedFetch(routes);
    const { client, sleeps } = testClient(fetch, { retry: { budget: 2 } });
    await expect(Promise.all(jobs.map((j) => client.status(j)))).resolves.toHaveLength(30);
    expect(calls).toHaveLength(60);
    expect(sleeps).toEqual([]);
  });

  it("a second reset of the same request is an ordinary retry that spends the budget", async () => {
    const { fetch, calls } = observedFetch({ [STATUS]: [transportError("ECONNRESET"), transportError("ECONNRESET"), ok] });
    const { client, sleeps } = testClient(fetch, { retry: { budget: 0 } });
    const error = await client.status(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(calls).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  it("never retries a 504 whose timeout type is user (the start deadline passed)", async () => {
    const { fetch, calls } = observedFetch({
      [STATUS]: [json(504, { detail: "Request timed out" }, { "x-fal-request-timeout-type": "user" }), ok],
    });
    const { client } = testClient(fetch);
    const error = await client.status(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ status: 504, retryable: false });
    expect(calls).toHaveLength(1);
  });

  it.each([400, 404, 409, 500])("never retries %i", async (status) => {
    const { fetch, calls } = observedFetch({ [STATUS]: [json(status, { detail: "no" }), ok] });
    const { client } = testClient(fetch);
    await expect(client.status(job)).rejects.toMatchObject({ status, retryable: false });
    expect(calls).toHaveLength(1);
  });

  it("never retries when the server says X-Fal-Retryable: false", async () => {
    const { fetch, calls } = observedFetch({ [STATUS]: [json(503, { detail: "down" }, { "x-fal-retryable": "false" }), ok] });
    const { client } = testClient(fetch);
    await expect(client.status(job)).rejects.toBeInstanceOf(ServerError);
    expect(calls).toHaveLength(1);
  });

  it("backs off exponentially and gives up after maxRetries with the last error", async () => {
    const { fetch, calls } = observedFetch({ [STATUS]: json(503, { detail: "down" }) });
    const { client, sleeps } = testClient(fetch);
    const error = await client.status(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect(calls).toHaveLength(4);
    expect(sleeps).toEqual([375, 750, 1500]);
  });

  it("honours Retry-After in seconds and as an HTTP date", async () => {
    const { fetch } = observedFetch({
      [STATUS]: [
        json(429, { detail: "slow down" }, { "retry-after": "2" }),
        json(503, { detail: "later" }, { "retry-after": new Date(5_000).toUTCString() }),
        ok,
      ],
    });
    const { client, sleeps } = testClient(fetch);
    await client.status(job);
    // Virtual time is 2000 when the date arrives, so 5000 - 2000 is left.
    expect(sleeps).toEqual([2000, 3000]);
  });

  it("does not wait for a Retry-After beyond maxRetryAfterMs: the error is thrown with it", async () => {
    const { fetch, calls } = observedFetch({ [STATUS]: [json(429, { detail: "come back tomorrow" }, { "retry-after": "86400" }), ok] });
    const { client } = testClient(fetch);
    const error = await client.status(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ retryAfterMs: 86_400_000 });
    expect(calls).toHaveLength(1);
  });

  it("spends a client-wide budget so a failing provider is not hammered", async () => {
    const { fetch, calls } = observedFetch({ [STATUS]: json(502, { detail: "bad gateway" }) });
    const { client } = testClient(fetch, { retry: { budget: 3, maxRetries: 2 } });
    await expect(client.status(job)).rejects.toBeInstanceOf(ServerError); // 1 + 2 retries
    await expect(client.status(job)).rejects.toBeInstanceOf(ServerError); // 1 + 1 retry: budget gone
    await expect(client.status(job)).rejects.toBeInstanceOf(ServerError); // 1, no retry
    expect(calls).toHaveLength(3 + 2 + 1);
  });

  it("retry: false turns retries off", async () => {
    const { fetch, calls } = observedFetch({ [STATUS]: [json(503, {}), ok] });
    const { client } = testClient(fetch, { retry: false });
    await expect(client.status(job)).rejects.toBeInstanceOf(ServerError);
    expect(calls).toHaveLength(1);
  });
});

describe("retries of submit: only when the job certainly was not created", () => {
  const SUBMIT = "POST /fal-ai/flux-lora";
  const accepted = json(200, submitted("n1"));
  const submitOnce = async (first: ReturnType<typeof json>) => {
    const { fetch, calls } = observedFetch({ [SUBMIT]: [first, accepted] });
    const { client } = testClient(fetch);
    const outcome = await client.submit(fluxLora, { prompt: "a" }).then(
      (handle) => ({ handle, error: undefined }),
      (error: unknown) => ({ handle: undefined, error }),
    );
    return { ...outcome, attempts: calls.length };
  };

  it.each(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"])("retries when the connection was never established (%s)", async (code) => {
    const { handle, attempts } = await submitOnce(transportError(code));
    expect(handle?.requestId).toBe("n1");
    expect(attempts).toBe(2);
  });

  it("does not retry a transport error after the request may have been sent, and says so", async () => {
    const { error, attempts } = await submitOnce(transportError("ECONNRESET"));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ retryable: false });
    expect((error as Error).message).toMatch(/may have been created/);
    expect(attempts).toBe(1);
  });

  it("retries a 429 that invites a retry with Retry-After", async () => {
    const { handle, attempts } = await submitOnce(json(429, { detail: "rate limited" }, { "retry-after": "1" }));
    expect(handle?.requestId).toBe("n1");
    expect(attempts).toBe(2);
  });

  it("retries a 503 marked X-Fal-Retryable: true", async () => {
    const { handle, attempts } = await submitOnce(json(503, { detail: "overloaded" }, { "x-fal-retryable": "true" }));
    expect(handle?.requestId).toBe("n1");
    expect(attempts).toBe(2);
  });

  it("does not retry a 429/503 that does not say the request was refused", async () => {
    for (const status of [429, 503]) {
      const { error, attempts } = await submitOnce(json(status, { detail: "busy" }));
      expect(error).toMatchObject({ status, retryable: false });
      expect(attempts).toBe(1);
    }
  });

  it("does not retry a 503 carrying a request_id (a job exists)", async () => {
    const { error, attempts } = await submitOnce(json(503, { request_id: "ghost" }, { "retry-after": "1" }));
    expect(error).toBeInstanceOf(ServerError);
    expect(attempts).toBe(1);
  });

  it.each([502, 504, 500])("never retries %i (a gateway may have forwarded the job)", async (status) => {
    const { error, attempts } = await submitOnce(json(status, { detail: "gateway" }, { "retry-after": "1", "x-fal-retryable": "true" }));
    expect(error).toBeInstanceOf(ServerError);
    expect(attempts).toBe(1);
  });

  it("does not retry other 4xx", async () => {
    const { error, attempts } = await submitOnce(json(400, { detail: "bad" }));
    expect(error).toBeInstanceOf(RequestError);
    expect(attempts).toBe(1);
  });
});

describe("retry helpers", () => {
  it("computes capped exponential backoff with jitter inside [cap/2, cap]", () => {
    const options = { ...defaultRetryOptions, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((i) => backoffDelay(i, options, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 5].map((i) => backoffDelay(i, options, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("parses Retry-After", () => {
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter("1.5", 0)).toBe(1500);
    expect(parseRetryAfter("garbage", 0)).toBeUndefined();
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
  });

  it("recognises a never-established connection through causes and AggregateErrors", () => {
    const refused = Object.assign(new Error("x"), { code: "ECONNREFUSED" });
    expect(connectionNeverEstablished(new TypeError("fetch failed", { cause: refused }))).toBe(true);
    expect(connectionNeverEstablished(new TypeError("fetch failed", { cause: new AggregateError([refused, refused]) }))).toBe(true);
    const reset = Object.assign(new Error("x"), { code: "ECONNRESET" });
    expect(connectionNeverEstablished(new TypeError("fetch failed", { cause: new AggregateError([refused, reset]) }))).toBe(false);
    expect(connectionNeverEstablished(new TypeError("fetch failed", { cause: reset }))).toBe(false);
    expect(connectionNeverEstablished("ECONNREFUSED")).toBe(false);
  });
});
