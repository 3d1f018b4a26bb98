/**
 * 3. The full lifecycle through @fluxkit/queue against the emulator, for every normalized
 * endpoint × every provider mode its spec lists (discovered; no per-endpoint code): run,
 * submit + poll, stream, subscribe, cancel at each stage, timeout, webhook, and every injected
 * fault ending in the right result or the right typed error.
 */
import { createEmulator, type Emulator, type FaultRule } from "@fluxkit/emulator";
import {
  AuthenticationError,
  ConnectionError,
  type FluxkitError,
  ForeignUrlError,
  JobFailedError,
  ProtocolError,
  RateLimitError,
  RequestError,
  ServerError,
  TimeoutError,
  ValidationError,
  WebhookVerificationError,
  createWebhookVerifier,
  type QueueStatus,
} from "@fluxkit/queue";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type FluxOutput,
  emulatorPool,
  hasInputField,
  jobInput,
  lifecycleCases,
  loadEndpointDefinition,
  outcomeOf,
  queueClientFor,
  resultProblems,
  stages,
  until,
} from "../src/lifecycle-harness.js";
import { loadEndpoints } from "../src/spec-catalog.js";
import { startWebhookReceiver, type WebhookReceiver } from "../src/webhook-receiver.js";

const cases = lifecycleCases(loadEndpoints());
const emulators = emulatorPool();
const receivers = new Set<WebhookReceiver>();
afterEach(async () => {
  await emulators.closeAll();
  await Promise.all([...receivers].map((r) => r.close()));
  receivers.clear();
});

type ErrorClass = abstract new (...args: never[]) => FluxkitError;

/** One injected fault and how the run must end. Rules fire once unless `always`. */
interface FaultCase {
  readonly title: string;
  readonly rule?: FaultRule;
  /** Per-request `x-fluxkit-fault` header on the submit. */
  readonly header?: string;
  readonly mode?: "polling" | "streaming";
  /** The run's total timeout (ms). */
  readonly timeout?: number;
  readonly outcome: "result" | ErrorClass;
  /** Submit faults: jobs the emulator created (never more than one) and submit requests sent. */
  readonly jobsCreated?: number;
  readonly submitRequests?: number;
}

const once = (fault: FaultRule["fault"], route: FaultRule["route"], extra: Partial<FaultRule> = {}): FaultRule => ({
  fault,
  route,
  times: 1,
  ...extra,
});

/** Passing failures of a status poll or a result fetch (fault, how a title says it, its parameter). */
const PASSING: readonly (readonly [FaultRule["fault"], string, Partial<FaultRule>?])[] = [
  ["429", "429 once", { retryAfterSeconds: 0 }],
  ["502", "502 once"],
  ["503", "503 once", { retryAfterSeconds: 0 }],
  ["504", "504 once"],
  ["drop", "dropped once"],
  ["lost-response", "answer lost once"],
  ["slow", "slow", { delayMs: 20 }],
  ["malformed-json", "malformed JSON once"],
];

/** Each passing failure met once on this route: retried to a result. */
const passingOnce = (route: "status" | "result"): FaultCase[] =>
  PASSING.map(([fault, what, extra]) => ({ title: `${route} ${what} → a result`, rule: once(fault, route, extra), outcome: "result" }));

const FAULTS: readonly FaultCase[] = [
  // Submit: retried only when the job certainly was not created (a refusal inviting a retry).
  {
    title: "submit 429 (Retry-After 0) once → retried to a result",
    rule: once("429", "submit", { retryAfterSeconds: 0 }),
    outcome: "result",
    jobsCreated: 1,
    submitRequests: 2,
  },
  {
    title: "submit 429 every time → RateLimitError after the retries",
    rule: { fault: "429", route: "submit", retryAfterSeconds: 0 },
    outcome: RateLimitError,
    jobsCreated: 0,
    submitRequests: 4,
  },
  {
    title: "submit 503 (Retry-After 0) once → retried to a result",
    rule: once("503", "submit", { retryAfterSeconds: 0 }),
    outcome: "result",
    jobsCreated: 1,
    submitRequests: 2,
  },
  { title: "submit 500 → ServerError, not retried", rule: once("500", "submit"), outcome: ServerError, jobsCreated: 0, submitRequests: 1 },
  {
    title: "submit 502 → ServerError, not retried (a gateway may have forwarded it)",
    rule: once("502", "submit"),
    outcome: ServerError,
    jobsCreated: 0,
    submitRequests: 1,
  },
  { title: "submit 504 → ServerError, not retried", rule: once("504", "submit"), outcome: ServerError, jobsCreated: 0, submitRequests: 1 },
  { title: "submit 504-user → TimeoutError, not retried", rule: once("504-user", "submit"), outcome: TimeoutError, jobsCreated: 0, submitRequests: 1 },
  { title: "submit dropped → ConnectionError, not retried", rule: once("drop", "submit"), outcome: ConnectionError, jobsCreated: 0, submitRequests: 1 },
  {
    title: "submit answer lost after the job was created → ConnectionError, no second job",
    rule: once("lost-response", "submit"),
    outcome: ConnectionError,
    jobsCreated: 1,
    submitRequests: 1,
  },
  { title: "submit slow → a result", rule: once("slow", "submit", { delayMs: 20 }), outcome: "result", jobsCreated: 1, submitRequests: 1 },
  {
    title: "submit answer malformed JSON → ProtocolError, no second job",
    rule: once("malformed-json", "submit"),
    outcome: ProtocolError,
    jobsCreated: 1,
    submitRequests: 1,
  },
  { title: "job-error-422 (header) → JobFailedError", header: "job-error-422", outcome: JobFailedError, jobsCreated: 1, submitRequests: 1 },
  { title: "job-error-500 (header) → JobFailedError", header: "job-error-500", outcome: JobFailedError, jobsCreated: 1, submitRequests: 1 },
  { title: "result-422 (header) → JobFailedError", header: "result-422", outcome: JobFailedError, jobsCreated: 1, submitRequests: 1 },
  // Status polls: a failed poll is not a failed job. While the job's deadline allows, any
  // passing failure (429, 5xx, reset, garbled body) slows polling down and is polled again.
  ...passingOnce("status"),
  { title: "status 500 once → a result (the poll failed, not the job)", rule: once("500", "status"), outcome: "result" },
  { title: "status 504-user → TimeoutError", rule: once("504-user", "status"), outcome: TimeoutError },
  {
    title: "status 503 every time → TimeoutError when the job's deadline passes",
    rule: { fault: "503", route: "status", retryAfterSeconds: 0 },
    timeout: 1_000,
    outcome: TimeoutError,
  },
  // Result fetch.
  ...passingOnce("result"),
  { title: "result 500 after COMPLETED → JobFailedError", rule: once("500", "result"), outcome: JobFailedError },
  { title: "result 504-user → TimeoutError", rule: once("504-user", "result"), outcome: TimeoutError },
  // Status stream: a broken or failing stream falls back to polling.
  { title: "stream broken → falls back to polling, a result", rule: once("broken-stream", "stream"), mode: "streaming", outcome: "result" },
  { title: "stream 502 once → a result", rule: once("502", "stream"), mode: "streaming", outcome: "result" },
  { title: "stream 429 once → a result", rule: once("429", "stream", { retryAfterSeconds: 0 }), mode: "streaming", outcome: "result" },
  { title: "stream 500 → falls back to polling, a result", rule: once("500", "stream"), mode: "streaming", outcome: "result" },
  { title: "stream dropped → a result", rule: once("drop", "stream"), mode: "streaming", outcome: "result" },
  { title: "stream lost → a result", rule: once("lost-response", "stream"), mode: "streaming", outcome: "result" },
  { title: "stream broken every time → polling, a result", rule: { fault: "broken-stream", route: "stream" }, mode: "streaming", outcome: "result" },
];

describe.each(cases)("$label", ({ endpoint: spec, provider }) => {
  let counter = 0;
  /** A distinct prompt per job: the emulator counts duplicate submits by body hash. */
  const prompt = (what: string) => `${spec.slug} ${provider} ${what} #${++counter}`;
  // Starting an emulator compiles every spec; tests that need no particular latency share one
  // (stats and fault rules reset before each use; distinct prompts keep jobs apart).
  let instant: Emulator | undefined;
  beforeAll(async () => {
    instant = await createEmulator({ provider, latency: "instant", concurrency: 4 });
  });
  afterAll(() => instant?.close());
  const setup = async (options: { latency?: "manual"; concurrency?: number } = {}) => {
    let emulator: Emulator;
    if (options.latency === undefined && options.concurrency === undefined && instant !== undefined) {
      emulator = instant;
      emulator.clearFaults();
      emulator.resetStats();
    } else {
      emulator = await emulators.start({ provider, latency: options.latency ?? "instant", concurrency: options.concurrency ?? 2 });
    }
    const definition = await loadEndpointDefinition(spec);
    return { emulator, definition, queue: queueClientFor(emulator) };
  };

  it("serves this endpoint in this mode, with the provider's auth scheme", async () => {
    const { emulator, definition } = await setup();
    expect(emulator.endpoints.map((e) => e.id)).toContain(spec.id);
    expect(definition.id).toBe(spec.id);
    expect(definition.servers.map((s) => s.provider)).toContain(provider);
    expect(emulator.auth).toBe(definition.servers.find((s) => s.provider === provider)?.auth);
  });

  it.each(["required", "every"] as const)("run with %s fields → a typed result whose images decode and whose output matches the spec", async (variant) => {
    const { emulator, definition, queue } = await setup();
    const input = jobInput(spec, definition, prompt(`run ${variant}`), variant);
    const { data, requestId } = await queue.run(definition, input, { logs: true });
    expect(await resultProblems(spec, emulator, data)).toEqual([]);
    const typed: FluxOutput = data;
    expect(typed.prompt).toBe(input.prompt);
    if (typeof input.num_images === "number") expect(typed.images).toHaveLength(input.num_images);
    if (typeof input.seed === "number") expect(typed.seed).toBe(input.seed);
    if (input.sync_mode === true) for (const image of typed.images) expect(image.url).toMatch(/^data:image\/(png|jpeg);base64,/);
    if (typeof input.output_format === "string") for (const image of typed.images) expect(image.content_type).toBe(`image/${input.output_format}`);
    expect(emulator.job(requestId)?.state).toBe("COMPLETED");
    const stats = emulator.stats();
    expect(stats.jobsCreated).toBe(1);
    expect(stats.duplicateSubmits).toEqual([]);
  });

  it("submit, then poll status until COMPLETED, then fetch the result", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt("submit")));
    expect(handle).toMatchObject({ endpointId: spec.id, requestId: expect.any(String) });
    // Gateways answer on queue.fal.run: the handle is rebased onto the provider (the emulator).
    for (const url of [handle.statusUrl, handle.responseUrl, handle.cancelUrl])
      expect(url.startsWith(`${emulator.url}/${spec.app}/requests/${handle.requestId}`)).toBe(true);
    await until(() => emulator.job(handle.requestId)?.state === "IN_PROGRESS", "the job starts");
    const running = await queue.status(handle, { logs: true });
    expect(running.status).toBe("IN_PROGRESS");
    expect(running.logs.length).toBeGreaterThan(0);
    expect(emulator.finish(handle.requestId)).toBe(1);
    let status: QueueStatus = running;
    for (let polls = 0; status.status !== "COMPLETED" && polls < 100; polls++) status = await queue.status(handle);
    expect(status).toMatchObject({ status: "COMPLETED", metrics: { inference_time: expect.any(Number) } });
    const { data, requestId } = await queue.result(handle);
    expect(requestId).toBe(handle.requestId);
    expect(await resultProblems(spec, emulator, data)).toEqual([]);
  });

  it("queue positions move as jobs ahead finish (status on each stage)", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual", concurrency: 1 });
    const [a, b, c] = [
      await queue.submit(definition, jobInput(spec, definition, prompt("first"))),
      await queue.submit(definition, jobInput(spec, definition, prompt("second"))),
      await queue.submit(definition, jobInput(spec, definition, prompt("third"))),
    ];
    // The first job has left the queue for a slot by the time the others are submitted.
    expect([b.queuePosition, c.queuePosition]).toEqual([0, 1]);
    await until(() => emulator.job(a.requestId)?.state === "IN_PROGRESS", "the first job starts");
    expect(await queue.status(c)).toMatchObject({ status: "IN_QUEUE", queue_position: 1 });
    emulator.finish(a.requestId);
    await until(() => emulator.job(b.requestId)?.state === "IN_PROGRESS", "the second job starts");
    expect(await queue.status(c)).toMatchObject({ status: "IN_QUEUE", queue_position: 0 });
    emulator.finish(b.requestId);
    await until(() => emulator.job(c.requestId)?.state === "IN_PROGRESS", "the third job starts");
    expect((await queue.status(c)).status).toBe("IN_PROGRESS");
    emulator.finish(c.requestId);
    expect(await resultProblems(spec, emulator, (await queue.subscribe(c)).data)).toEqual([]);
  });

  it("streamStatus (SSE) yields each stage and ends after COMPLETED", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt("stream")));
    const seen: QueueStatus[] = [];
    for await (const status of queue.streamStatus(handle, { logs: true })) {
      seen.push(status);
      if (status.status === "IN_PROGRESS") emulator.finish(handle.requestId);
    }
    expect(stages(seen).slice(-2)).toEqual(["IN_PROGRESS", "COMPLETED"]);
    expect(await resultProblems(spec, emulator, (await queue.result(handle)).data)).toEqual([]);
    expect(emulator.stats().requests.stream).toBe(1);
  });

  // Regression: the queue once dispatched a half-sent last event at end of stream and threw
  // ProtocolError; an unterminated event is dropped (SSE standard), so this is a ConnectionError.
  it("streamStatus on a stream that breaks off mid-event throws ConnectionError", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt("broken stream")));
    emulator.addFault({ fault: "broken-stream", route: "stream", requestId: handle.requestId });
    const seen: string[] = [];
    const consume = async () => {
      for await (const status of queue.streamStatus(handle)) seen.push(status.status);
    };
    const outcome = await outcomeOf(consume());
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.error).toBeInstanceOf(ConnectionError);
    expect(seen).not.toContain("COMPLETED");
  });

  it.each(["polling", "streaming"] as const)("onQueueUpdate sees IN_QUEUE → IN_PROGRESS → COMPLETED (%s)", async (mode) => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const seen: QueueStatus[] = [];
    const { data } = await queue.run(definition, jobInput(spec, definition, prompt(`updates ${mode}`)), {
      mode,
      logs: true,
      onQueueUpdate: (status) => {
        seen.push(status);
        // Manual latency holds the job IN_PROGRESS until the test lets it finish.
        if (status.status === "IN_PROGRESS") emulator.finish();
      },
    });
    expect(stages(seen)).toEqual(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    expect(seen.find((s) => s.status === "IN_PROGRESS")?.logs.length).toBeGreaterThan(0);
    expect(await resultProblems(spec, emulator, data)).toEqual([]);
  });

  it.each(["polling", "streaming"] as const)("subscribe from a stored request id or a stored handle (%s)", async (mode) => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt(`subscribe ${mode}`)));
    const stored = JSON.parse(JSON.stringify({ requestId: handle.requestId, handle })) as { requestId: string; handle: typeof handle };
    await until(() => emulator.job(handle.requestId)?.state === "IN_PROGRESS", "the job starts");
    // Another process, another client: only the id (or the plain handle) survived.
    const later = queueClientFor(emulator);
    const byId = later.subscribe({ endpoint: definition, requestId: stored.requestId }, { mode });
    const byHandle = later.subscribe(stored.handle, { mode });
    emulator.finish(handle.requestId);
    const [first, second] = await Promise.all([byId, byHandle]);
    expect(first.requestId).toBe(handle.requestId);
    expect(second.data).toEqual(first.data);
    expect(await resultProblems(spec, emulator, first.data)).toEqual([]);
  });

  it("a stored handle with queue.fal.run URLs is rebased; one on another host is refused unrequested", async () => {
    const { emulator, definition, queue } = await setup();
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt("rebase")));
    const onHost = (host: string) => {
      const move = (url: string) => `https://${host}${new URL(url).pathname}`;
      return { ...handle, statusUrl: move(handle.statusUrl), responseUrl: move(handle.responseUrl), cancelUrl: move(handle.cancelUrl) };
    };
    expect(await resultProblems(spec, emulator, (await queue.subscribe(onHost("queue.fal.run"))).data)).toEqual([]);
    const before = emulator.stats().requests;
    const refused = await outcomeOf(queue.subscribe(onHost("evil.example")));
    expect(!refused.ok && refused.error).toBeInstanceOf(ForeignUrlError);
    expect(emulator.stats().requests).toEqual(before);
  });

  it("cancel while queued → CANCELLATION_REQUESTED; the job ends cancelled and never runs", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual", concurrency: 1 });
    const blocker = await queue.submit(definition, jobInput(spec, definition, prompt("blocker")));
    const queued = await queue.submit(definition, jobInput(spec, definition, prompt("queued")));
    await until(() => emulator.job(blocker.requestId)?.state === "IN_PROGRESS", "the blocker starts");
    expect(await queue.status(queued)).toMatchObject({ status: "IN_QUEUE", queue_position: 0 });
    expect(await queue.cancel(queued)).toBe("CANCELLATION_REQUESTED");
    expect(await queue.status(queued)).toMatchObject({ status: "COMPLETED", error_type: "request_cancelled" });
    const waited = await outcomeOf(queue.subscribe(queued));
    expect(!waited.ok && waited.error).toBeInstanceOf(JobFailedError);
    expect(!waited.ok && (waited.error as JobFailedError).errorType).toBe("request_cancelled");
    // result() alone cannot tell a cancelled job's 400 from a pending one's: a RequestError, not JobFailedError.
    const fetched = await outcomeOf(queue.result(queued));
    expect(!fetched.ok && fetched.error).toBeInstanceOf(RequestError);
    expect(emulator.job(queued.requestId)).toMatchObject({ cancelled: true, state: "COMPLETED" });
    expect(emulator.job(queued.requestId)?.logs).toEqual([]);
    emulator.finish(blocker.requestId);
    expect(await resultProblems(spec, emulator, (await queue.subscribe(blocker)).data)).toEqual([]);
  });

  it("cancel while running → CANCELLATION_REQUESTED; the slot frees for the next job", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual", concurrency: 1 });
    const running = await queue.submit(definition, jobInput(spec, definition, prompt("running")));
    const next = await queue.submit(definition, jobInput(spec, definition, prompt("next")));
    await until(() => emulator.job(running.requestId)?.state === "IN_PROGRESS", "the job starts");
    expect((await queue.status(running)).status).toBe("IN_PROGRESS");
    expect(await queue.cancel(running)).toBe("CANCELLATION_REQUESTED");
    const waited = await outcomeOf(queue.subscribe(running));
    expect(!waited.ok && waited.error).toBeInstanceOf(JobFailedError);
    expect(!waited.ok && (waited.error as JobFailedError).errorType).toBe("request_cancelled");
    await until(() => emulator.job(next.requestId)?.state === "IN_PROGRESS", "the next job takes the slot");
    emulator.finish(next.requestId);
    expect(await resultProblems(spec, emulator, (await queue.subscribe(next)).data)).toEqual([]);
  });

  it("cancel after done → ALREADY_COMPLETED, and the result is still there", async () => {
    const { emulator, definition, queue } = await setup();
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt("done")));
    const first = await queue.subscribe(handle);
    expect(await queue.cancel(handle)).toBe("ALREADY_COMPLETED");
    expect((await queue.result(handle)).data).toEqual(first.data);
    expect(emulator.job(handle.requestId)?.cancelled).toBe(false);
  });

  it("cancel answered 502 once → retried → CANCELLATION_REQUESTED", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt("cancel 502")));
    emulator.addFault({ fault: "502", route: "cancel", times: 1 });
    expect(await queue.cancel(handle)).toBe("CANCELLATION_REQUESTED");
    expect(emulator.stats().requests.cancel).toBe(2);
    expect(await queue.cancel(handle)).toBe("ALREADY_COMPLETED");
  });

  it("cancel answered 500 → ServerError", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt("cancel 500")));
    emulator.addFault({ fault: "500", route: "cancel", times: 1 });
    const outcome = await outcomeOf(queue.cancel(handle));
    expect(!outcome.ok && outcome.error).toBeInstanceOf(ServerError);
    expect(emulator.job(handle.requestId)?.cancelled).toBe(false);
  });

  it.each(["polling", "streaming"] as const)("total timeout while waiting (subscribe, %s) → TimeoutError and the server job cancelled", async (mode) => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const handle = await queue.submit(definition, jobInput(spec, definition, prompt(`timeout ${mode}`)));
    await until(() => emulator.job(handle.requestId)?.state === "IN_PROGRESS", "the job starts");
    // The timeout bounds the cancel too (a fifth of it is kept for it): long enough for a loaded machine.
    const outcome = await outcomeOf(queue.subscribe(handle, { mode, timeout: 1_500 }));
    expect(!outcome.ok && outcome.error).toBeInstanceOf(TimeoutError);
    expect(!outcome.ok && outcome.error).toMatchObject({ requestId: handle.requestId, cancelConfirmed: true, cancelOutcome: "CANCELLATION_REQUESTED" });
    expect(emulator.job(handle.requestId)).toMatchObject({ state: "COMPLETED", cancelled: true });
  });

  it("total timeout on run → TimeoutError naming the job, which the server cancelled", async () => {
    const { emulator, definition, queue } = await setup({ latency: "manual" });
    const outcome = await outcomeOf(queue.run(definition, jobInput(spec, definition, prompt("run timeout")), { timeout: 1_500 }));
    expect(!outcome.ok && outcome.error).toBeInstanceOf(TimeoutError);
    expect(!outcome.ok && outcome.error).toMatchObject({ cancelConfirmed: true });
    const requestId = !outcome.ok ? (outcome.error as TimeoutError).requestId : undefined;
    expect(requestId).toEqual(expect.any(String));
    expect(emulator.job(requestId ?? "")).toMatchObject({ state: "COMPLETED", cancelled: true });
    expect(emulator.stats().requests.cancel).toBe(1);
  });

  it("invalid input → ValidationError before anything is sent", async () => {
    const { emulator, definition, queue } = await setup();
    const outcome = await outcomeOf(queue.run(definition, {}));
    expect(!outcome.ok && outcome.error).toBeInstanceOf(ValidationError);
    expect(!outcome.ok && (outcome.error as ValidationError).issues.length).toBeGreaterThan(0);
    expect(emulator.stats().requests.submit).toBe(0);
  });

  it.skipIf(!hasInputField(spec, "image_url"))("an image the server cannot decode → ValidationError (422) on image_url, no job", async () => {
    const { emulator, definition, queue } = await setup();
    const input = { ...jobInput(spec, definition, prompt("bad image")), image_url: "data:image/png;base64,AAAA" };
    const outcome = await outcomeOf(queue.run(definition, input));
    expect(!outcome.ok && outcome.error).toBeInstanceOf(ValidationError);
    expect(!outcome.ok && (outcome.error as ValidationError).issues.map((i) => i.path)).toContain("image_url");
    expect(emulator.stats().jobsCreated).toBe(0);
  });

  it("the wrong auth scheme → AuthenticationError, no job", async () => {
    const { emulator, definition } = await setup();
    const wrong = queueClientFor(emulator, { provider: { baseUrl: emulator.url, auth: emulator.auth === "bearer" ? "key" : "bearer" } });
    const outcome = await outcomeOf(wrong.run(definition, jobInput(spec, definition, prompt("auth"))));
    expect(!outcome.ok && outcome.error).toBeInstanceOf(AuthenticationError);
    expect(emulator.stats().jobsCreated).toBe(0);
  });

  it("webhook: delivered, signed, verified against the emulator's JWKS, payload matches the result", async () => {
    const { emulator, definition, queue } = await setup();
    const receiver = await startWebhookReceiver();
    receivers.add(receiver);
    const ok = await queue.run(definition, jobInput(spec, definition, prompt("webhook ok")), { webhookUrl: `${receiver.url}/ok` });
    const failed = await outcomeOf(
      queue.run(definition, jobInput(spec, definition, prompt("webhook error")), {
        webhookUrl: `${receiver.url}/error`,
        headers: { "x-fluxkit-fault": "job-error-422" },
      }),
    );
    expect(!failed.ok && failed.error).toBeInstanceOf(JobFailedError);

    const verifier = createWebhookVerifier({ jwksUrl: emulator.jwksUrl });
    const delivered = await receiver.delivery("/ok");
    const delivery = await verifier.verify({ headers: delivered.headers, body: delivered.body }, definition);
    expect(delivery).toMatchObject({ status: "OK", request_id: ok.requestId });
    expect(delivery.status === "OK" && delivery.payload).toEqual(ok.data);
    expect(await resultProblems(spec, emulator, delivery.payload)).toEqual([]);

    const deliveredError = await receiver.delivery("/error");
    const errorDelivery = await verifier.verify({ headers: deliveredError.headers, body: deliveredError.body }, definition);
    expect(errorDelivery).toMatchObject({ status: "ERROR", request_id: !failed.ok ? (failed.error as JobFailedError).requestId : "" });
    expect(errorDelivery.error).toEqual(expect.any(String));

    // The signature covers the body: one changed byte and it no longer verifies.
    const tampered = Buffer.from(delivered.body);
    const at = tampered.length - 2;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 1, at);
    const forged = await outcomeOf(verifier.verify({ headers: delivered.headers, body: tampered }, definition));
    expect(!forged.ok && forged.error).toBeInstanceOf(WebhookVerificationError);
    expect(!forged.ok && (forged.error as WebhookVerificationError).reason).toBe("bad_signature");
    await emulator.waitForWebhook(ok.requestId);
    await emulator.waitForWebhook(errorDelivery.request_id);
    expect(emulator.stats().webhooks).toEqual({ delivered: 2, failed: 0 });
  });

  it.each(FAULTS)("fault: $title", async (fault) => {
    const { emulator, definition, queue } = await setup();
    if (fault.rule !== undefined) emulator.addFault(fault.rule);
    const outcome = await outcomeOf(
      queue.run(definition, jobInput(spec, definition, prompt(fault.title)), {
        ...(fault.mode === undefined ? {} : { mode: fault.mode }),
        ...(fault.timeout === undefined ? {} : { timeout: fault.timeout }),
        ...(fault.header === undefined ? {} : { headers: { "x-fluxkit-fault": fault.header } }),
      }),
    );
    const stats = emulator.stats();
    const injected = Object.values(stats.faultsInjected).reduce((sum, n) => sum + (n ?? 0), 0);
    expect(injected, "the fault was injected").toBeGreaterThan(0);
    if (fault.outcome === "result") {
      expect(outcome.ok ? undefined : outcome.error).toBeUndefined();
      expect(await resultProblems(spec, emulator, outcome.ok ? outcome.value.data : undefined)).toEqual([]);
    } else {
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error).toBeInstanceOf(fault.outcome);
      const error = outcome.ok ? undefined : outcome.error;
      // The status of a failed job names the error type; the client fetches the result's 422
      // to learn which fields failed.
      if (fault.header === "job-error-422") {
        expect(error).toMatchObject({ errorType: "validation_error" });
        expect((error as JobFailedError).issues.map((i) => i.path)).toContain("prompt");
      }
      if (fault.header === "job-error-500") expect(error).toMatchObject({ errorType: "runner_error" });
      if (fault.header === "result-422") expect((error as JobFailedError).issues.map((i) => i.path)).toContain("prompt");
    }
    expect(stats.duplicateSubmits).toEqual([]);
    expect(Object.values(stats.jobsByIdempotencyKey).every((n) => n === 1)).toBe(true);
    if (fault.jobsCreated !== undefined) expect(stats.jobsCreated).toBe(fault.jobsCreated);
    if (fault.submitRequests !== undefined) expect(stats.requests.submit).toBe(fault.submitRequests);
  });
});

it("RequestError is what a pending job's result fetch is (400), not a failed job", async () => {
  const [first] = cases;
  if (first === undefined) throw new Error("no normalized specs found");
  const emulator = await emulators.start({ provider: first.provider, latency: "manual" });
  const definition = await loadEndpointDefinition(first.endpoint);
  const queue = queueClientFor(emulator);
  const handle = await queue.submit(definition, jobInput(first.endpoint, definition, "pending result"));
  const outcome = await outcomeOf(queue.result(handle));
  expect(!outcome.ok && outcome.error).toBeInstanceOf(RequestError);
  expect(!outcome.ok && (outcome.error as RequestError).status).toBe(400);
});

// Regression: endpoints sharing an app (fal-ai/flux-lora and fal-ai/flux-lora/image-to-image)
// share follow-up paths; the emulator once scoped follow-up faults by the first matching route's
// endpoint instead of the job's, so a rule for fal-ai/flux-lora never fired on its own jobs.
it("an endpoint-scoped fault rule fires on follow-ups of that endpoint's jobs, for every endpoint", async () => {
  const emulator = await emulators.start({ provider: "fal", allEndpoints: true, latency: "manual" });
  const queue = queueClientFor(emulator);
  const missed: string[] = [];
  for (const spec of loadEndpoints()) {
    const definition = await loadEndpointDefinition(spec);
    const handle = await queue.submit(definition, jobInput(spec, definition, `scoped fault ${spec.slug}`));
    emulator.resetStats();
    emulator.addFault({ fault: "502", route: "status", times: 1, endpoint: spec.id });
    await queue.status(handle);
    if (emulator.stats().faultsInjected["502"] !== 1) missed.push(spec.id);
    emulator.clearFaults();
  }
  expect(missed).toEqual([]);
});
