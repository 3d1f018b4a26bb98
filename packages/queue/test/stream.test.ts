import { describe, expect, it } from "vitest";
import { AuthenticationError, ConnectionError, type QueueStatus } from "../src/index.js";
import { fluxLora, sampleOutput } from "./fixtures/endpoints.js";
import { CHAINHUB, json, observedFetch, route, submitted, testClient, text, type Responder } from "./helpers.js";

const input = { prompt: "a cat" };
const SUBMIT = "POST /fal-ai/flux-lora";
const STREAM = route("GET", "s1", "/status/stream");
const STATUS = route("GET", "s1", "/status");
const RESULT = route("GET", "s1");
const events = [
  { status: "IN_QUEUE", queue_position: 2, logs: null },
  { status: "IN_PROGRESS", logs: [{ message: "loading" }] },
  { status: "COMPLETED", logs: [], metrics: { inference_time: 2 } },
];

function sseBody(chunks: readonly string[], end = true): Responder {
  return () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
          if (end) c.close();
        },
      }),
      { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8" } },
    );
}
const allEvents = sseBody(events.map((e) => `data: ${JSON.stringify(e)}\n\n`));

async function runStreaming(streamResponder: Responder | readonly Responder[]) {
  const observed = observedFetch({
    [SUBMIT]: json(200, submitted("s1")),
    [STREAM]: streamResponder,
    [STATUS]: json(200, { status: "COMPLETED", logs: [], metrics: {} }),
    [RESULT]: json(200, sampleOutput),
  });
  const { client } = testClient(observed.fetch);
  const updates: QueueStatus[] = [];
  const outcome = await client.run(fluxLora, input, { mode: "streaming", onQueueUpdate: (s) => updates.push(s) }).catch((e: unknown) => e);
  return { outcome, updates, ...observed };
}

describe("streaming", () => {
  it("follows the SSE stream on the provider's origin and never polls", async () => {
    const { outcome, updates, callsTo } = await runStreaming(allEvents);
    expect(outcome).toEqual({ data: sampleOutput, requestId: "s1" });
    // The first IN_QUEUE comes from the submit answer (position 3), the second from the stream.
    expect(updates.map((u) => u.status)).toEqual(["IN_QUEUE", "IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    const [stream] = callsTo(STREAM);
    expect(stream?.url).toBe(`${CHAINHUB}/fal-ai/flux-lora/requests/s1/status/stream`);
    expect(stream?.headers.accept).toBe("text/event-stream");
    expect(callsTo(STATUS)).toHaveLength(0);
  });

  it("parses events split across chunks and ignores comments", async () => {
    const wire = `: keep-alive\n\ndata: ${JSON.stringify(events[0])}\n\n${events
      .slice(1)
      .map((e) => `data: ${JSON.stringify(e)}\n\n`)
      .join("")}`;
    const chunks = wire.match(/.{1,7}/gs) ?? [];
    const { outcome, updates } = await runStreaming(sseBody(chunks));
    expect(outcome).toMatchObject({ requestId: "s1" });
    expect(updates).toHaveLength(4);
  });

  it("a stream cut off mid-event is a broken connection, not malformed data", async () => {
    const observed = observedFetch({
      [SUBMIT]: json(200, submitted("s1")),
      [STREAM]: sseBody([`data: ${JSON.stringify(events[0])}\n\n`, 'data: {"status": "IN_PROG']),
    });
    const { client } = testClient(observed.fetch);
    const handle = await client.submit(fluxLora, input);
    const seen: string[] = [];
    const outcome = await (async () => {
      for await (const status of client.streamStatus(handle)) seen.push(status.status);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(["IN_QUEUE"]);
    expect(outcome).toBeInstanceOf(ConnectionError);
  });

  it("falls back to polling when the stream breaks mid-way", async () => {
    let sent = false;
    const broken: Responder = () =>
      new Response(
        new ReadableStream<Uint8Array>({
          // One event is delivered, then the connection dies on the next read.
          pull(c) {
            if (sent) return c.error(new TypeError("socket hang up"));
            sent = true;
            c.enqueue(new TextEncoder().encode(`data: ${JSON.stringify(events[0])}\n\n`));
          },
        }),
        { status: 200, headers: { "content-type": "text/event-stream" } },
      );
    const { outcome, updates, callsTo } = await runStreaming(broken);
    expect(outcome).toMatchObject({ data: sampleOutput });
    expect(callsTo(STATUS)).toHaveLength(1);
    expect(updates.map((u) => [u.status, u.status === "IN_QUEUE" ? u.queue_position : null])).toEqual([
      ["IN_QUEUE", 3],
      ["IN_QUEUE", 2],
      ["COMPLETED", null],
    ]);
  });

  it("falls back when the stream ends before COMPLETED", async () => {
    const { outcome, callsTo } = await runStreaming(sseBody([`data: ${JSON.stringify(events[1])}\n\n`]));
    expect(outcome).toMatchObject({ requestId: "s1" });
    expect(callsTo(STATUS)).toHaveLength(1);
  });

  it("falls back when the gateway has no stream route (405) or answers JSON instead", async () => {
    for (const responder of [json(405, { detail: "Method Not Allowed" }), json(200, { status: "IN_QUEUE" })]) {
      const { outcome, callsTo } = await runStreaming(responder);
      expect(outcome).toMatchObject({ requestId: "s1" });
      expect(callsTo(STATUS)).toHaveLength(1);
    }
  });

  it("falls back when the stream sends garbage", async () => {
    const { outcome, callsTo } = await runStreaming(sseBody(["data: {oops\n\n"]));
    expect(outcome).toMatchObject({ requestId: "s1" });
    expect(callsTo(STATUS)).toHaveLength(1);
  });

  it("does not fall back on an authentication failure", async () => {
    const { outcome, callsTo } = await runStreaming(text(401, "unauthorized"));
    expect(outcome).toBeInstanceOf(AuthenticationError);
    expect(callsTo(STATUS)).toHaveLength(0);
  });

  it("streamStatus is an async iterable that ends after COMPLETED, with logs on request", async () => {
    const { fetch, calls } = observedFetch({ [STREAM]: allEvents });
    const { client } = testClient(fetch);
    const seen: string[] = [];
    for await (const status of client.streamStatus({ endpoint: fluxLora, requestId: "s1" }, { logs: true })) {
      seen.push(status.status);
    }
    expect(seen).toEqual(["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    expect(calls[0]?.url).toBe(`${CHAINHUB}/fal-ai/flux-lora/requests/s1/status/stream?logs=1`);
  });

  it("streamStatus throws ConnectionError when the stream ends early", async () => {
    const { fetch } = observedFetch({ [STREAM]: sseBody([`data: ${JSON.stringify(events[0])}\n\n`]) });
    const { client } = testClient(fetch);
    const seen: string[] = [];
    const consume = async () => {
      for await (const status of client.streamStatus({ endpoint: fluxLora, requestId: "s1" })) seen.push(status.status);
    };
    await expect(consume()).rejects.toBeInstanceOf(ConnectionError);
    expect(seen).toEqual(["IN_QUEUE"]);
  });
});
