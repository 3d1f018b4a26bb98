import { describe, expect, it } from "vitest";
import { JobFailedError, ProtocolError, type QueueStatus } from "../../src/index.js";
import { fluxLora, fluxLoraImageToImage, sampleOutput } from "../fixtures/endpoints.js";
import { CHAINHUB, TOKEN, json, observedFetch, route, submitted, testClient } from "../helpers.js";

const input = { prompt: "a cat", num_images: 1 };

/** Runs the job against these routes: it must fail with an error of `kind`, which is returned. */
async function runFailing<E extends Error>(kind: abstract new (...args: never[]) => E, routes: Parameters<typeof observedFetch>[0]): Promise<E> {
  const { client } = testClient(observedFetch(routes).fetch);
  const error = await client.run(fluxLora, input).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(kind);
  return error as E;
}

describe("run", () => {
  it("submits, polls the rebased status URL, fetches the result and reports every change once", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("r1")),
      [route("GET", "r1", "/status")]: [
        json(202, { status: "IN_QUEUE", queue_position: 1 }),
        json(202, { status: "IN_QUEUE", queue_position: 1 }),
        json(202, { status: "IN_PROGRESS", logs: [{ message: "step 1", level: "INFO" }] }),
        json(200, { status: "COMPLETED", logs: null, metrics: { inference_time: 1.5 } }),
      ],
      [route("GET", "r1")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    const updates: QueueStatus[] = [];

    const result = await client.run(fluxLora, input, { onQueueUpdate: (s) => updates.push(s) });

    expect(result).toEqual({ data: sampleOutput, requestId: "r1" });
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `POST ${CHAINHUB}/fal-ai/flux-lora`,
      `GET ${CHAINHUB}/fal-ai/flux-lora/requests/r1/status`,
      `GET ${CHAINHUB}/fal-ai/flux-lora/requests/r1/status`,
      `GET ${CHAINHUB}/fal-ai/flux-lora/requests/r1/status`,
      `GET ${CHAINHUB}/fal-ai/flux-lora/requests/r1/status`,
      `GET ${CHAINHUB}/fal-ai/flux-lora/requests/r1`,
    ]);
    expect(calls[0]?.body).toEqual(input);
    expect(calls.every((c) => c.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(updates).toEqual([
      { status: "IN_QUEUE", queue_position: 3, logs: [] },
      { status: "IN_QUEUE", queue_position: 1, logs: [] },
      { status: "IN_PROGRESS", logs: [{ message: "step 1", level: "INFO" }] },
      { status: "COMPLETED", logs: [], metrics: { inference_time: 1.5 } },
    ]);
  });

  it("derives follow-up routes under owner/app when the gateway omits the URLs", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora/image-to-image": json(200, { request_id: "r2", status: "IN_QUEUE" }),
      [route("GET", "r2", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "r2")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    await client.run(fluxLoraImageToImage, { prompt: "x", image_url: "https://example.com/a.png" });
    expect(calls.map((c) => c.url)).toEqual([
      `${CHAINHUB}/fal-ai/flux-lora/image-to-image`,
      `${CHAINHUB}/fal-ai/flux-lora/requests/r2/status`,
      `${CHAINHUB}/fal-ai/flux-lora/requests/r2`,
    ]);
  });

  it("uses the Key scheme for fal", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("r3")),
      [route("GET", "r3", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "r3")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch, { provider: "fal" });
    await client.run(fluxLora, input);
    expect(calls.map((c) => c.headers.authorization)).toEqual([`Key ${TOKEN}`, `Key ${TOKEN}`, `Key ${TOKEN}`]);
    expect(calls.every((c) => c.url.startsWith("https://queue.fal.run/"))).toBe(true);
  });

  it("asks for logs with ?logs=1 when told to", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("r4")),
      [route("GET", "r4", "/status")]: json(200, { status: "COMPLETED", logs: [] }),
      [route("GET", "r4")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    await client.run(fluxLora, input, { logs: true });
    expect(calls[1]?.url).toBe(`${CHAINHUB}/fal-ai/flux-lora/requests/r4/status?logs=1`);
  });

  it("treats COMPLETED with error/error_type as a failed job, even when the result says otherwise", async () => {
    const { fetch, callsTo } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("r5")),
      [route("GET", "r5", "/status")]: json(200, {
        status: "COMPLETED",
        logs: [],
        metrics: {},
        error: "CUDA out of memory",
        error_type: "runner_oom",
      }),
      [route("GET", "r5")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    const error = await client.run(fluxLora, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error).toMatchObject({ requestId: "r5", errorType: "runner_oom", retryable: false, issues: [] });
    expect((error as Error).message).toContain("CUDA out of memory");
    expect(callsTo(route("GET", "r5"))).toHaveLength(1);
  });

  it("learns a failed job's field issues from its result (422 detail[])", async () => {
    const error = await runFailing(JobFailedError, {
      "POST /fal-ai/flux-lora": json(200, submitted("r7")),
      [route("GET", "r7", "/status")]: json(200, { status: "COMPLETED", error: "Invalid input", error_type: "validation_error" }),
      [route("GET", "r7")]: json(422, { detail: [{ loc: ["body", "prompt"], msg: "prompt is not allowed", type: "content_policy" }] }),
    });
    expect(error).toMatchObject({ requestId: "r7", errorType: "validation_error" });
    expect(error.issues).toEqual([{ path: "prompt", message: "prompt is not allowed", keyword: "content_policy" }]);
  });

  it("treats a result fetch that fails after COMPLETED (422 detail[]) as a failed job with field issues", async () => {
    const error = await runFailing(JobFailedError, {
      "POST /fal-ai/flux-lora": json(200, submitted("r6")),
      [route("GET", "r6", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "r6")]: json(422, {
        detail: [{ loc: ["body", "loras", 0, "path"], msg: "could not download LoRA", type: "file_download_error" }],
      }),
    });
    expect(error).toMatchObject({ status: 422, requestId: "r6" });
    expect(error.issues).toEqual([{ path: "loras.0.path", message: "could not download LoRA", keyword: "file_download_error" }]);
  });

  it("treats a non-retryable 500 on the result as a failed job", async () => {
    const error = await runFailing(JobFailedError, {
      "POST /fal-ai/flux-lora": json(200, submitted("r7")),
      [route("GET", "r7", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "r7")]: json(500, { detail: "runner crashed" }, { "x-fal-error-type": "runner_error" }),
    });
    expect(error).toMatchObject({ status: 500, errorType: "runner_error" });
  });

  it("rejects an unknown status as a protocol error", async () => {
    const error = await runFailing(ProtocolError, {
      "POST /fal-ai/flux-lora": json(200, submitted("r8")),
      [route("GET", "r8", "/status")]: json(202, { status: "SLEEPING" }),
    });
    expect((error as Error).message).toContain("SLEEPING");
  });
});

describe("polling schedule", () => {
  it("starts quick, backs off to the cap, and resets when the job changes state", async () => {
    const pending = json(202, { status: "IN_QUEUE", queue_position: 2 });
    const running = json(202, { status: "IN_PROGRESS", logs: [] });
    const { fetch } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("p1")),
      [route("GET", "p1", "/status")]: [pending, pending, pending, pending, pending, pending, running, running, json(200, { status: "COMPLETED" })],
      [route("GET", "p1")]: json(200, sampleOutput),
    });
    const { client, sleeps } = testClient(fetch, { polling: { initialIntervalMs: 100, factor: 2, maxIntervalMs: 1000 } });
    await client.run(fluxLora, input);
    // The first wait is counted from the submit, whose answer was already a status.
    expect(sleeps).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 100, 200]);
  });

  it("honours a Retry-After hint on a pending status", async () => {
    const { fetch } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("p2")),
      [route("GET", "p2", "/status")]: [json(202, { status: "IN_QUEUE", queue_position: 9 }, { "retry-after": "7" }), json(200, { status: "COMPLETED" })],
      [route("GET", "p2")]: json(200, sampleOutput),
    });
    const { client, sleeps } = testClient(fetch);
    await client.run(fluxLora, input);
    expect(sleeps).toEqual([250, 7000]);
  });
});

describe("subscribe", () => {
  it("resumes from a stored request id and endpoint", async () => {
    const { fetch, calls } = observedFetch({
      [route("GET", "s1", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "s1")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    const result = await client.subscribe({ endpoint: fluxLoraImageToImage, requestId: "s1" });
    expect(result.data.images[0]?.width).toBe(1024);
    expect(calls.map((c) => c.url)).toEqual([`${CHAINHUB}/fal-ai/flux-lora/requests/s1/status`, `${CHAINHUB}/fal-ai/flux-lora/requests/s1`]);
  });

  it("resumes from a handle that went through JSON storage", async () => {
    const { fetch } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("s2")),
      [route("GET", "s2", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "s2")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    const handle = await client.submit(fluxLora, input);
    expect(handle).toMatchObject({
      requestId: "s2",
      endpointId: "fal-ai/flux-lora",
      statusUrl: `${CHAINHUB}/fal-ai/flux-lora/requests/s2/status`,
      queuePosition: 3,
    });
    const stored = JSON.parse(JSON.stringify(handle)) as typeof handle;
    await expect(client.subscribe(stored)).resolves.toEqual({ data: sampleOutput, requestId: "s2" });
  });
});
