/** The wire itself: real sockets on 127.0.0.1 with the real global fetch (undici). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AbortError, ConnectionError, createQueueClient, type FetchLike, type QueueStatus } from "../src/index.js";
import { fluxLora, sampleOutput } from "./fixtures/endpoints.js";
import { TOKEN, submitted, virtualClock } from "./helpers.js";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

const seen: Seen[] = [];
const closedStreams: string[] = [];
let server: Server;
let base: string;

const frame = (event: unknown) => `data: ${JSON.stringify(event)}\n\n`;

function handle(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
  const path = new URL(req.url ?? "/", "http://x").pathname;
  const match = /^\/gw\/fal-ai\/flux-lora\/requests\/([^/]+)(\/status(\/stream)?)?$/.exec(path);
  if (req.method === "POST" && path === "/gw/fal-ai/flux-lora") {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const input = JSON.parse(body) as { prompt: string };
      if (input.prompt === "reset") return req.socket.destroy();
      const id = input.prompt; // the prompt picks the scenario
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(submitted(id)));
    });
    return;
  }
  if (match === null) return void res.writeHead(404).end();
  const [, id, status, stream] = match;
  if (stream !== undefined) {
    res.on("close", () => closedStreams.push(id ?? ""));
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const wire = frame({ status: "IN_QUEUE", queue_position: 1, logs: null }) + frame({ status: "IN_PROGRESS", logs: [{ message: "denoising" }] });
    if (id === "broken") {
      res.write(frame({ status: "IN_PROGRESS", logs: [] }));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    if (id === "endless") {
      res.write(frame({ status: "IN_QUEUE", queue_position: 5 }));
      return; // stays open until the client goes away
    }
    // Split an event across writes so the parser must reassemble it from separate TCP chunks.
    res.write(wire.slice(0, 17));
    setImmediate(() => {
      res.write(wire.slice(17));
      setImmediate(() => res.end(frame({ status: "COMPLETED", logs: [], metrics: { inference_time: 0.5 } })));
    });
    return;
  }
  if (status !== undefined) {
    return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "COMPLETED", metrics: {} }));
  }
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(sampleOutput));
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function loopbackClient(fetch?: FetchLike) {
  return createQueueClient({
    provider: { baseUrl: `${base}/gw`, auth: "bearer" },
    token: TOKEN,
    clock: virtualClock().clock,
    ...(fetch === undefined ? {} : { fetch }),
  });
}

describe("over real HTTP on loopback", () => {
  it("streams statuses over a real socket, rebasing fal URLs onto the base with its prefix", async () => {
    seen.length = 0;
    const updates: QueueStatus[] = [];
    const result = await loopbackClient().run(fluxLora, { prompt: "ok" }, { mode: "streaming", onQueueUpdate: (s) => updates.push(s) });
    expect(result).toEqual({ data: sampleOutput, requestId: "ok" });
    expect(updates.map((u) => u.status)).toEqual(["IN_QUEUE", "IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      "POST /gw/fal-ai/flux-lora",
      "GET /gw/fal-ai/flux-lora/requests/ok/status/stream",
      "GET /gw/fal-ai/flux-lora/requests/ok",
    ]);
    expect(seen.every((s) => s.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("falls back to polling when the server drops the stream connection", async () => {
    seen.length = 0;
    const result = await loopbackClient().run(fluxLora, { prompt: "broken" }, { mode: "streaming" });
    expect(result.requestId).toBe("broken");
    expect(seen.map((s) => s.url)).toContain("/gw/fal-ai/flux-lora/requests/broken/status");
  });

  it("aborting closes the stream's socket", async () => {
    const controller = new AbortController();
    const outcome = loopbackClient()
      .run(
        fluxLora,
        { prompt: "endless" },
        {
          mode: "streaming",
          signal: controller.signal,
          onQueueUpdate: (s) => s.status === "IN_QUEUE" && s.queue_position === 5 && controller.abort(),
        },
      )
      .catch((e: unknown) => e);
    expect(await outcome).toBeInstanceOf(AbortError);
    await new Promise<void>((resolve) => {
      const check = () => (closedStreams.includes("endless") ? resolve() : setImmediate(check));
      check();
    });
    expect(closedStreams).toContain("endless");
  });

  it("retries a submit whose connection was refused (real undici error codes)", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    let attempts = 0;
    const client = createQueueClient({
      provider: { baseUrl: `http://127.0.0.1:${port}`, auth: "key" },
      token: TOKEN,
      clock: virtualClock().clock,
      fetch: (url, init) => {
        attempts++;
        return globalThis.fetch(url, init);
      },
    });
    const error = await client.submit(fluxLora, { prompt: "x" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(attempts).toBe(4); // first try + 3 retries: nothing can have been queued
  });

  it("does not retry a submit whose connection broke after sending (a job may exist)", async () => {
    seen.length = 0;
    const error = await loopbackClient()
      .submit(fluxLora, { prompt: "reset" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(/may have been created/);
    expect(seen.filter((s) => s.method === "POST")).toHaveLength(1);
  });
});
