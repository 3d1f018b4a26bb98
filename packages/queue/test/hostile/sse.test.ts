/**
 * Status streams that never end: events forever (the job's timeout ends the wait and the stream
 * is closed), and one line that never ends (refused at maxStreamEventBytes, then polling takes
 * over). Memory stays bounded because the line is dropped, not buffered.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createQueueClient, ProtocolError, TimeoutError } from "../../src/index.js";
import { fluxLora, sampleOutput } from "../fixtures/endpoints.js";
import { sendJson, tally, TOKEN, suiteServer, watchSuite } from "./harness.js";

const LINE_LIMIT = 64 * 1024;
const ENDLESS = 512 * 1024 * 1024;

describe("hostile: endless SSE", () => {
  const streams: Record<string, { sent: number; closed: boolean }> = {};

  watchSuite("sse");
  const server = suiteServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const id = /\/requests\/([^/]+)/.exec(path)?.[1] ?? "";
    if (req.method === "PUT") return sendJson(res, 202, { status: "CANCELLATION_REQUESTED" });
    if (path.endsWith("/status/stream")) {
      const stream: { sent: number; closed: boolean } = { sent: 0, closed: false };
      streams[id] = stream;
      res.on("close", () => {
        stream.closed = true;
      });
      res.writeHead(200, { "content-type": "text/event-stream" });
      const event = id.startsWith("events")
        ? Buffer.from(`data: ${JSON.stringify({ status: "IN_PROGRESS", logs: [{ message: `step ${TOKEN}` }] })}\n\n`.repeat(50))
        : Buffer.alloc(64 * 1024, "x");
      if (!id.startsWith("events")) res.write("data: ");
      // Events without end, paced a little (this server shares the test's event loop with the client).
      const go = () => {
        if (stream.sent >= ENDLESS || res.destroyed) return;
        stream.sent += event.length;
        if (!res.write(event)) res.once("drain", go);
        else if (id.startsWith("events")) setTimeout(go, 1);
        else setImmediate(go);
      };
      go();
      return;
    }
    if (path.endsWith("/status")) return sendJson(res, 200, id.startsWith("events") ? { status: "IN_PROGRESS" } : { status: "COMPLETED" });
    return sendJson(res, 200, sampleOutput);
  });

  const client = () =>
    createQueueClient({
      provider: { baseUrl: server.url, auth: "bearer" },
      token: TOKEN,
      maxStreamEventBytes: LINE_LIMIT,
      polling: { initialIntervalMs: 5, maxIntervalMs: 20 },
    });

  it("events forever: the timeout ends the wait, the job is cancelled, the stream is closed", async () => {
    tally.cases++;
    const updates: string[] = [];
    const error = await client()
      .subscribe({ endpoint: fluxLora, requestId: "events-1" }, { mode: "streaming", timeout: 2_000, onQueueUpdate: (s) => updates.push(JSON.stringify(s)) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ cancelConfirmed: true, requestId: "events-1" });
    // Stream data is redacted like everything else from a response.
    expect(updates.join("")).not.toContain(TOKEN);
    expect(updates.join("")).toContain("[redacted]");
    await until(() => streams["events-1"]?.closed === true);
    expect(streams["events-1"]?.closed).toBe(true);
  });

  it("a line that never ends: refused at maxStreamEventBytes, then polling delivers the result", async () => {
    tally.cases += 2;
    const direct = await (async () => {
      for await (const _ of client().streamStatus({ endpoint: fluxLora, requestId: "line-1" })) {
        // never yields
      }
    })().catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(ProtocolError);
    expect((direct as Error).message).toMatch(/longer than 65536 characters/);

    const result = await client().subscribe({ endpoint: fluxLora, requestId: "line-2" }, { mode: "streaming", timeout: 20_000 });
    expect(result.data).toEqual(sampleOutput);
    for (const id of ["line-1", "line-2"]) {
      await until(() => streams[id]?.closed === true);
      expect(streams[id]?.sent).toBeLessThan(ENDLESS);
    }
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
