/**
 * Bodies no well-behaved server sends: nested deeper than any recursive walk survives, larger
 * than memory should hold, or garbled. Every one ends as a typed error (or, while a job's
 * deadline allows, as one more poll), and a huge body is not read past its cap.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createQueueClient, FluxkitError, ProtocolError, ServerError, TimeoutError } from "../../src/index.js";
import { fluxLora, sampleOutput } from "../fixtures/endpoints.js";
import { leakedCharacters, leaksOf, sendJson, tally, TOKEN, suiteServer, watchSuite } from "./harness.js";

// Deep enough to overflow any recursive walk, small enough (200 KB) to be parsed as an error body.
const DEPTH = 100_000;
const deepArray = (inner: string) => `${"[".repeat(DEPTH)}${inner}${"]".repeat(DEPTH)}`;
const HUGE = 200 * 1024 * 1024;

/** Streams `total` bytes of `fill` after `head`, counting what it sent, until the client hangs up. */
function pump(res: ServerResponse, head: string, total: number, counter: { sent: number; closedEarly: boolean }): void {
  const chunk = Buffer.alloc(64 * 1024, " ");
  res.on("close", () => {
    counter.closedEarly = counter.sent < total;
  });
  res.write(head);
  const go = () => {
    while (counter.sent < total && !res.destroyed) {
      counter.sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", go);
    }
    if (!res.destroyed) res.end();
  };
  go();
}

describe("hostile: malformed, huge and deeply nested bodies", () => {
  const counters: Record<string, { sent: number; closedEarly: boolean }> = {};
  const polls: Record<string, number> = {};

  watchSuite("bodies");
  const server = suiteServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const id = /\/requests\/([^/]+)/.exec(path)?.[1] ?? "";
    const isStatus = path.endsWith("/status");
    polls[id] = (polls[id] ?? 0) + (isStatus ? 1 : 0);
    counters[id] ??= { sent: 0, closedEarly: false };
    const counter = counters[id];
    switch (id) {
      case "deep-error":
        return void res.writeHead(500, { "content-type": "application/json" }).end(`{"detail":${deepArray(`"${TOKEN}"`)}}`);
      case "deep-status":
        return void res.writeHead(200, { "content-type": "application/json" }).end(`{"status":${deepArray('"X"')}}`);
      case "deep-result":
        if (isStatus) return sendJson(res, 200, { status: "COMPLETED" });
        return void res.writeHead(200, { "content-type": "application/json" }).end(`{"images":[],"extra":${deepArray(`"${TOKEN}"`)}}`);
      case "huge-result":
        if (isStatus) return sendJson(res, 200, { status: "COMPLETED" });
        res.writeHead(200, { "content-type": "application/json" });
        return pump(res, '{"images":[],"pad":"', HUGE, counter);
      case "huge-status":
        res.writeHead(200, { "content-type": "application/json" });
        return pump(res, '{"status":"IN_QUEUE","pad":"', HUGE, counter);
      case "huge-error":
        res.writeHead(503, { "content-type": "text/html" });
        return pump(res, `<html>${TOKEN}`, HUGE, counter);
      case "garbled-then-ok":
        if (!isStatus) return sendJson(res, 200, sampleOutput);
        if ((polls[id] ?? 0) <= 3) return void res.writeHead(200, { "content-type": "application/json" }).end('{"status": "COMPL');
        return sendJson(res, 200, { status: "COMPLETED" });
      case "status-500-then-ok":
        if (!isStatus) return sendJson(res, 200, sampleOutput);
        if ((polls[id] ?? 0) <= 3) return sendJson(res, 500, { detail: "boom" }, { "x-fal-retryable": "false" });
        return sendJson(res, 200, { status: "COMPLETED" });
      case "always-garbled":
        if (req.method === "PUT") return sendJson(res, 202, { status: "CANCELLATION_REQUESTED" });
        return void res.writeHead(200).end("<<<not json>>>");
      default:
        return sendJson(res, 404, { detail: "unknown" });
    }
  });

  const client = (extra: Parameters<typeof createQueueClient>[0] extends infer O ? Partial<O> : never = {}) =>
    createQueueClient({
      provider: { baseUrl: server.url, auth: "bearer" },
      token: TOKEN,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      polling: { initialIntervalMs: 5, maxIntervalMs: 20 },
      ...extra,
    });
  const job = (requestId: string) => ({ endpoint: fluxLora, requestId });
  const settle = (p: Promise<unknown>) =>
    p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );

  it("an error body nested 100 000 deep: a typed error whose detail can still be logged", async () => {
    tally.cases++;
    const outcome = await settle(client({ retry: false }).status(job("deep-error")));
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(ServerError);
    // Parsed, not just quoted as text: the detail is the array, cut at a depth a logger survives.
    expect(Array.isArray((error as ServerError).detail)).toBe(true);
    expect(() => JSON.stringify((error as ServerError).detail)).not.toThrow();
    expect(JSON.stringify((error as ServerError).detail)).toContain("[nested too deeply]");
    expect(leaksOf(error)).toBe(0);
  });

  it("a status nested 100 000 deep: a ProtocolError, not a RangeError", async () => {
    tally.cases++;
    const outcome = await settle(client({ retry: false }).status(job("deep-status")));
    expect((outcome as { error: unknown }).error).toBeInstanceOf(ProtocolError);
  });

  it("a deeply nested result holding the token: returned, redacted, no RangeError", async () => {
    tally.cases++;
    const outcome = await settle(client().subscribe(job("deep-result")));
    expect(outcome.ok).toBe(true);
    // Walk it iteratively: the data is as deep as the server made it.
    const strings: string[] = [];
    const stack: unknown[] = [(outcome as { value: { data: unknown } }).value.data];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v === "string") strings.push(v);
      else if (Array.isArray(v)) stack.push(...v);
      else if (v !== null && typeof v === "object") stack.push(...Object.values(v));
    }
    expect(strings).toContain("[redacted]");
    expect(leakedCharacters(strings)).toBe(0);
  });

  it("a 200 MB result is refused at maxResponseBytes, and the download stops there", async () => {
    tally.cases++;
    const outcome = await settle(client({ maxResponseBytes: 1024 * 1024, retry: false }).result(job("huge-result")));
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(/more than 1048576 bytes.*maxResponseBytes/);
    await until(() => counters["huge-result"]?.closedEarly === true);
    expect(counters["huge-result"]?.sent).toBeLessThan(HUGE);
  });

  it("a 200 MB status is refused at its 4 MiB cap; a 200 MB error body is read only as far as its first 256 KiB", async () => {
    tally.cases += 2;
    const status = await settle(client({ retry: false }).status(job("huge-status")));
    expect((status as { error: unknown }).error).toBeInstanceOf(ProtocolError);
    const failed = await settle(client({ retry: false }).status(job("huge-error")));
    const error = (failed as { error: unknown }).error;
    expect(error).toBeInstanceOf(ServerError);
    expect(leaksOf(error)).toBe(0);
    await until(() => counters["huge-status"]?.closedEarly === true && counters["huge-error"]?.closedEarly === true);
    expect(counters["huge-status"]?.sent).toBeLessThan(HUGE);
    expect(counters["huge-error"]?.sent).toBeLessThan(HUGE);
  });

  it("garbled statuses and status 500s while waiting are polled again, not a failed job", async () => {
    tally.cases += 2;
    for (const id of ["garbled-then-ok", "status-500-then-ok"]) {
      const outcome = await settle(client().subscribe(job(id), { timeout: 20_000 }));
      expect(outcome.ok, id).toBe(true);
      expect(polls[id]).toBeGreaterThan(3);
    }
  });

  it("a status that never parses ends at the job's deadline, as a TimeoutError with the job cancelled", async () => {
    tally.cases++;
    const outcome = await settle(client().subscribe(job("always-garbled"), { timeout: 2_000 }));
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ cancelConfirmed: true, requestId: "always-garbled" });
    expect(error).toBeInstanceOf(FluxkitError);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}
