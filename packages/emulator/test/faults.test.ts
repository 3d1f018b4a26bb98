import { createParser } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { ConfigError, type Emulator, parseFaultRule } from "../src/index.js";
import { type Client, LORA, SMALL, client, eventually, start } from "./helpers.js";

const input = (prompt = "x") => ({ prompt, image_size: SMALL });

/** Submits a job with a job fault in its header and waits until the emulator has finished it. */
async function finishedWithFault(emulator: Emulator, c: Client, fault: string) {
  const job = (await c.submit(LORA, input(), { headers: { "x-fluxkit-fault": fault } })).body;
  await emulator.waitForJob(job.request_id);
  return job;
}

describe("infrastructure faults", () => {
  it.each([
    ["429", 429, "rate_limited", { "retry-after": "1", "x-fal-retryable": "true" }],
    ["500", 500, "internal_server_error", { "x-fal-retryable": "false" }],
    ["502", 502, "bad_gateway", {}],
    ["503", 503, "service_unavailable", { "retry-after": "1", "x-fal-retryable": "true" }],
    ["504", 504, "gateway_timeout", {}],
    ["504-user", 504, "request_timeout", { "x-fal-request-timeout-type": "user", "x-fal-retryable": "false" }],
  ] as const)("%s answers %i with fal's headers, and creates no job", async (fault, status, type, headers) => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, input(), { headers: { "x-fluxkit-fault": fault } });
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ detail: expect.any(String), error_type: type });
    expect(r.headers.get("x-fal-error-type")).toBe(type);
    for (const [name, value] of Object.entries(headers)) expect(r.headers.get(name)).toBe(value);
    expect(emulator.stats()).toMatchObject({ jobsCreated: 0, faultsInjected: { [fault]: 1 } });
  });

  it("takes a Retry-After parameter: 429=0", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, input(), { headers: { "x-fluxkit-fault": "429=0" } });
    expect(r.headers.get("retry-after")).toBe("0");
  });

  it("drop destroys the connection before anything happens", async () => {
    const emulator = await start();
    await expect(client(emulator).submit(LORA, input(), { headers: { "x-fluxkit-fault": "drop" } })).rejects.toThrow();
    expect(emulator.stats()).toMatchObject({ jobsCreated: 0, requests: { submit: 1 } });
  });

  it("lost-response creates the job, then loses the answer", async () => {
    const emulator = await start();
    await expect(client(emulator).submit(LORA, input(), { headers: { "x-fluxkit-fault": "lost-response" } })).rejects.toThrow();
    expect(emulator.stats().jobsCreated).toBe(1);
  });

  it("slow delays the answer, which then arrives intact", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, input(), { headers: { "x-fluxkit-fault": "slow=30" } });
    expect(r.status).toBe(200);
    expect(emulator.stats().faultsInjected.slow).toBe(1);
  });

  it("slow on a submit: the job is created even when the client gives up during the delay", async () => {
    const emulator = await start();
    const leaving = new AbortController();
    const sent = fetch(`${emulator.url}${LORA}`, {
      method: "POST",
      headers: { ...client(emulator).authHeader, "content-type": "application/json", "x-fluxkit-fault": "slow=1000" },
      body: JSON.stringify(input("left early")),
      signal: leaving.signal,
    });
    await eventually(() => (emulator.stats().requests.submit === 1 ? true : undefined));
    leaving.abort();
    await expect(sent).rejects.toThrow();
    expect(emulator.stats().jobsCreated).toBe(0);
    await eventually(() => (emulator.stats().jobsCreated === 1 ? true : undefined), 2000);
  });

  it("malformed-json answers a body that does not parse (the job exists)", async () => {
    const emulator = await start();
    const response = await fetch(`${emulator.url}${LORA}`, {
      method: "POST",
      headers: { ...client(emulator).authHeader, "content-type": "application/json", "x-fluxkit-fault": "malformed-json" },
      body: JSON.stringify(input()),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const text = await response.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(emulator.stats().jobsCreated).toBe(1);
  });

  it("answers 400 naming the accepted faults for an unknown x-fluxkit-fault", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, input(), { headers: { "x-fluxkit-fault": "meteor" } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain("broken-stream");
  });
});

describe("job faults", () => {
  it("job-error-422: COMPLETED with error, result 422", async () => {
    const emulator = await start();
    const c = client(emulator);
    const job = await finishedWithFault(emulator, c, "job-error-422");
    const status = await c.get(job.status_url);
    expect(status.body).toMatchObject({ status: "COMPLETED", error: expect.any(String), error_type: "validation_error" });
    const result = await c.get(job.response_url);
    expect(result.status).toBe(422);
    expect(emulator.validateSchema("fal-ai/flux-lora", "ValidationError", result.body)).toEqual([]);
  });

  it("job-error-500: COMPLETED with error, result 500 not retryable", async () => {
    const emulator = await start();
    const c = client(emulator);
    const job = await finishedWithFault(emulator, c, "job-error-500");
    expect((await c.get(job.status_url)).body).toMatchObject({ status: "COMPLETED", error_type: "runner_error" });
    const result = await c.get(job.response_url);
    expect(result.status).toBe(500);
    expect(result.headers.get("x-fal-retryable")).toBe("false");
    expect(result.body).toMatchObject({ detail: expect.any(String), error_type: "runner_error" });
  });

  it("result-422: a clean COMPLETED status, but the result is 422", async () => {
    const emulator = await start();
    const c = client(emulator);
    const job = await finishedWithFault(emulator, c, "result-422");
    const status = await c.get(job.status_url);
    expect(status.body.status).toBe("COMPLETED");
    expect(status.body.error).toBeUndefined();
    expect((await c.get(job.response_url)).status).toBe(422);
  });

  it("broken-stream ends the SSE stream mid-way without COMPLETED", async () => {
    const emulator = await start({ latency: "manual" });
    const c = client(emulator);
    const job = (await c.submit(LORA, input())).body;
    const response = await fetch(c.local(`${job.status_url}/stream`), { headers: { ...c.authHeader, "x-fluxkit-fault": "broken-stream" } });
    const statuses: string[] = [];
    const parser = createParser({ onEvent: (m) => statuses.push(String((JSON.parse(m.data) as { status: string }).status)) });
    const text = await response.text();
    parser.feed(text);
    expect(text).toContain('data: {"status":');
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses).not.toContain("COMPLETED");
  });
});

describe("fault rules", () => {
  it("apply to a route a given number of times, then stop", async () => {
    const emulator = await start({ faults: [{ route: "status", fault: "503", times: 2, retryAfterSeconds: 0 }] });
    const c = client(emulator);
    const job = (await c.submit(LORA, input())).body;
    expect((await c.get(job.status_url)).status).toBe(503);
    expect((await c.get(job.status_url)).status).toBe(503);
    expect([200, 202]).toContain((await c.get(job.status_url)).status);
    expect(emulator.stats().requests.status).toBe(3);
  });

  it("can be added and cleared at runtime, per route and per job", async () => {
    const emulator = await start();
    const c = client(emulator);
    const job = (await c.submit(LORA, input())).body;
    await emulator.waitForJob(job.request_id);
    emulator.addFault({ route: "result", fault: "502", requestId: job.request_id });
    emulator.addFault({ route: "cancel", fault: "drop" });
    expect((await c.get(job.response_url)).status).toBe(502);
    await expect(c.put(job.cancel_url)).rejects.toThrow();
    emulator.clearFaults();
    expect((await c.get(job.response_url)).status).toBe(200);
  });

  it("with a rate, hit some requests and spare others, reproducibly for a seed", async () => {
    const hits = async () => {
      const emulator = await start({ seed: 5, faults: [{ route: "status", fault: "500", rate: 0.5 }] });
      const c = client(emulator);
      const job = (await c.submit(LORA, input())).body;
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await c.get(job.status_url)).status);
      // Which requests were hit is what the seed fixes (200 vs 202 depends on the job's progress).
      return statuses.map((s) => s === 500);
    };
    const first = await hits();
    expect(first).toContain(true);
    expect(first).toContain(false);
    expect(await hits()).toEqual(first);
  });

  it("parse from the CLI form and refuse nonsense with the flag named", () => {
    expect(parseFaultRule("status:503*2")).toEqual({ route: "status", fault: "503", times: 2 });
    expect(parseFaultRule("429=0@0.25")).toEqual({ fault: "429", retryAfterSeconds: 0, rate: 0.25 });
    expect(parseFaultRule("slow=200")).toEqual({ fault: "slow", delayMs: 200 });
    expect(() => parseFaultRule("status:meteor")).toThrow(ConfigError);
    expect(() => parseFaultRule("poll:503")).toThrow(/--fault/);
  });
});

describe("stats", () => {
  it("count jobs per idempotency key so a double submit shows", async () => {
    const emulator = await start();
    const c = client(emulator);
    await c.submit(LORA, input("once"));
    await c.submit(LORA, input("twice"));
    await c.submit(LORA, input("twice"));
    await c.submit(LORA, input("keyed"), { headers: { "idempotency-key": "k1" } });
    const stats = emulator.stats();
    expect(stats.jobsCreated).toBe(4);
    expect(stats.duplicateSubmits).toHaveLength(1);
    expect(stats.jobsByIdempotencyKey.k1).toBe(1);
    emulator.resetStats();
    expect(emulator.stats().jobsCreated).toBe(0);
  });
});
