import { createParser, type EventSourceMessage } from "eventsource-parser";
import { describe, expect, it } from "vitest";
import { LORA, SMALL, client, eventually, start } from "./helpers.js";

const input = (prompt: string) => ({ prompt, image_size: SMALL });

/** An emulator that runs one job at a time and moves on only when told, and a client for it. */
async function oneAtATime() {
  const emulator = await start({ latency: "manual", concurrency: 1 });
  return { emulator, c: client(emulator) };
}

describe("queue simulation", () => {
  it("moves queue positions as jobs ahead finish (concurrency 1, three jobs)", async () => {
    const { emulator, c } = await oneAtATime();
    const a = (await c.submit(LORA, input("a"))).body;
    const b = (await c.submit(LORA, input("b"))).body;
    const d = (await c.submit(LORA, input("c"))).body;
    const state = async (job: { status_url: string }) => (await c.get(job.status_url)).body;

    await eventually(async () => ((await state(a)).status === "IN_PROGRESS" ? true : undefined));
    expect(await state(b)).toMatchObject({ status: "IN_QUEUE", queue_position: 0 });
    expect(await state(d)).toMatchObject({ status: "IN_QUEUE", queue_position: 1 });
    expect((await c.get(b.status_url)).status).toBe(202);

    expect(emulator.finish(a.request_id)).toBe(1);
    expect((await state(a)).status).toBe("COMPLETED");
    await eventually(async () => ((await state(b)).status === "IN_PROGRESS" ? true : undefined));
    expect(await state(d)).toMatchObject({ status: "IN_QUEUE", queue_position: 0 });

    emulator.finish();
    await eventually(async () => ((await state(d)).status === "IN_PROGRESS" ? true : undefined));
    emulator.finish();
    expect((await state(d)).status).toBe("COMPLETED");
  });

  it("runs up to `concurrency` jobs at once", async () => {
    const emulator = await start({ latency: "manual", concurrency: 2 });
    const c = client(emulator);
    const ids = [];
    for (const p of ["a", "b", "c"]) ids.push((await c.submit(LORA, input(p))).body.request_id as string);
    await eventually(() => (emulator.stats().jobs.IN_PROGRESS === 2 ? true : undefined));
    expect(emulator.job(ids[2] ?? "")).toMatchObject({ state: "IN_QUEUE", queuePosition: 0 });
  });

  it("puts x-fal-queue-priority: low behind normal jobs", async () => {
    const { emulator, c } = await oneAtATime();
    await c.submit(LORA, input("running"));
    const low = (await c.submit(LORA, input("low"), { headers: { "x-fal-queue-priority": "low" } })).body;
    const normal = (await c.submit(LORA, input("normal"))).body;
    expect(emulator.job(normal.request_id)?.queuePosition).toBe(0);
    expect(emulator.job(low.request_id)?.queuePosition).toBe(1);
  });

  it("returns logs only with ?logs=1", async () => {
    const emulator = await start({ latency: "manual" });
    const c = client(emulator);
    const job = (await c.submit(LORA, input("x"))).body;
    await eventually(() => (emulator.job(job.request_id)?.state === "IN_PROGRESS" ? true : undefined));
    const without = await c.get(job.status_url);
    expect(without.body).toMatchObject({ status: "IN_PROGRESS", logs: null });
    const withLogs = await c.get(`${job.status_url}?logs=1`);
    expect(withLogs.body.logs.length).toBeGreaterThan(0);
    expect(withLogs.body.logs[0]).toMatchObject({ message: expect.any(String), level: "INFO" });
    emulator.finish();
    const done = await c.get(`${job.status_url}?logs=1`);
    expect(done.body.logs.map((l: { message: string }) => l.message)).toContain("Inference finished");
    expect((await c.get(job.status_url)).body.logs).toBeNull();
  });

  it("cancels a queued job: removed from the queue, COMPLETED with an error, result refused", async () => {
    const { emulator, c } = await oneAtATime();
    await c.submit(LORA, input("first"));
    const queued = (await c.submit(LORA, input("queued"))).body;
    const behind = (await c.submit(LORA, input("behind"))).body;
    expect(emulator.job(behind.request_id)?.queuePosition).toBe(1);
    const cancel = await c.put(queued.cancel_url);
    expect(cancel).toMatchObject({ status: 202, body: { status: "CANCELLATION_REQUESTED" } });
    expect(emulator.job(behind.request_id)?.queuePosition).toBe(0);
    const status = await c.get(queued.status_url);
    expect(status).toMatchObject({ status: 200, body: { status: "COMPLETED", error_type: "request_cancelled" } });
    expect(status.body.metrics.inference_time).toBeNull();
    expect((await c.get(queued.response_url)).status).toBe(400);
    expect(await c.put(queued.cancel_url)).toMatchObject({ status: 400, body: { status: "ALREADY_COMPLETED" } });
  });

  it("cancels a running job with CANCELLATION_REQUESTED and frees its slot", async () => {
    const { emulator, c } = await oneAtATime();
    const running = (await c.submit(LORA, input("running"))).body;
    const next = (await c.submit(LORA, input("next"))).body;
    await eventually(() => (emulator.job(running.request_id)?.state === "IN_PROGRESS" ? true : undefined));
    expect(await c.put(running.cancel_url)).toMatchObject({ status: 202, body: { status: "CANCELLATION_REQUESTED" } });
    expect((await c.get(running.status_url)).body).toMatchObject({ status: "COMPLETED", error: expect.any(String) });
    await eventually(() => (emulator.job(next.request_id)?.state === "IN_PROGRESS" ? true : undefined));
  });

  it("drops a job whose X-Fal-Request-Timeout passes before it starts", async () => {
    const { emulator, c } = await oneAtATime();
    await c.submit(LORA, input("blocker"));
    const late = (await c.submit(LORA, input("late"), { headers: { "x-fal-request-timeout": "0.02" } })).body;
    const done = await emulator.waitForJob(late.request_id);
    expect(done.failure?.errorType).toBe("request_timeout");
    const result = await c.get(late.response_url);
    expect(result.status).toBe(504);
    expect(result.headers.get("x-fal-request-timeout-type")).toBe("user");
  });
});

async function readEvents(url: string, headers: Record<string, string>, onEvent?: (status: string) => void): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(url, { headers: { ...headers, accept: "text/event-stream" } });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const events: Array<Record<string, unknown>> = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      const event = JSON.parse(message.data) as Record<string, unknown>;
      events.push(event);
      onEvent?.(String(event.status));
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  return events;
}

describe("status stream (SSE)", () => {
  it("sends one event per change and ends after COMPLETED", async () => {
    const { emulator, c } = await oneAtATime();
    const blocker = (await c.submit(LORA, input("blocker"))).body;
    const job = (await c.submit(LORA, input("streamed"))).body;
    await eventually(() => (emulator.job(blocker.request_id)?.state === "IN_PROGRESS" ? true : undefined));
    const events = await readEvents(c.local(`${job.status_url}/stream?logs=1`), c.authHeader, (status) => {
      // Drive the queue from the stream itself: each state we see lets the next happen.
      if (status === "IN_QUEUE") emulator.finish(blocker.request_id);
      if (status === "IN_PROGRESS") emulator.finish(job.request_id);
    });
    const statuses = events.map((e) => e.status);
    expect(statuses[0]).toBe("IN_QUEUE");
    expect(statuses).toContain("IN_PROGRESS");
    expect(statuses.at(-1)).toBe("COMPLETED");
    expect(statuses.filter((s) => s === "COMPLETED")).toHaveLength(1);
    for (const e of events) expect(emulator.validateSchema("fal-ai/flux-lora", "QueueStatus", e)).toEqual([]);
  });

  it("sends the final status and ends at once for a completed job", async () => {
    const emulator = await start();
    const c = client(emulator);
    const job = (await c.submit(LORA, input("done"))).body;
    await emulator.waitForJob(job.request_id);
    const events = await readEvents(c.local(`${job.status_url}/stream`), c.authHeader);
    expect(events).toEqual([expect.objectContaining({ status: "COMPLETED", logs: null })]);
  });
});
