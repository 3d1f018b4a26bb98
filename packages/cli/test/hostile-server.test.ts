/**
 * `flux run` against servers that misbehave, on real loopback sockets: a cancel that never
 * answers must not hold the process past --timeout, and an image bigger than the cap must not
 * be downloaded whole. Bounded by the test's own timeout, never by a timed assertion.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cleanEnv, flux, tempDir } from "./helpers.js";

assertBuilt();

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BIG = 400 * 1024 * 1024;

interface Seen {
  cancels: number;
  imageBytesSent: number;
  imageClosedEarly: boolean;
}

function hostileServer(seen: Seen, behaviour: "hanging-cancel" | "huge-image" | "huge-declared-image"): Server {
  let base = "";
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    base ||= `http://${req.headers.host}`;
    const path = new URL(req.url ?? "/", base).pathname;
    const json = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const job = `${base}/fal-ai/flux-lora/requests/j1`;
    if (req.method === "POST" && path === "/fal-ai/flux-lora") {
      req.resume();
      req.on("end", () => json(200, { status: "IN_QUEUE", request_id: "j1", status_url: `${job}/status`, response_url: job, cancel_url: `${job}/cancel` }));
      return;
    }
    if (path === "/fal-ai/flux-lora/requests/j1/status/stream") return json(404, { detail: "no stream here" });
    if (path === "/fal-ai/flux-lora/requests/j1/status") {
      return json(200, behaviour === "hanging-cancel" ? { status: "IN_PROGRESS", logs: [] } : { status: "COMPLETED", logs: [], metrics: {} });
    }
    if (req.method === "PUT" && path === "/fal-ai/flux-lora/requests/j1/cancel") {
      seen.cancels++;
      return; // never answers
    }
    if (path === "/fal-ai/flux-lora/requests/j1") {
      return json(200, { images: [{ url: `${base}/big.png`, width: 1, height: 1, content_type: "image/png" }], seed: 1, prompt: "x" });
    }
    if (path === "/big.png") {
      res.writeHead(200, { "content-type": "image/png", ...(behaviour === "huge-declared-image" ? { "content-length": String(BIG) } : {}) });
      res.on("close", () => {
        seen.imageClosedEarly = seen.imageBytesSent < BIG;
      });
      const chunk = Buffer.alloc(64 * 1024);
      PNG_HEAD.copy(chunk);
      // Chunks as fast as the client reads them; the pipeline stops when it hangs up.
      function* image() {
        for (; seen.imageBytesSent < BIG; seen.imageBytesSent += chunk.length) yield chunk;
      }
      pipeline(Readable.from(image(), { objectMode: false }), res).catch(() => undefined);
      return;
    }
    json(404, { detail: `unexpected ${req.method} ${path}` });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe("flux run against hostile servers", { timeout: 60_000 }, () => {
  const servers: Server[] = [];
  let cwd = "";
  beforeAll(async () => {
    cwd = await tempDir();
  });
  afterAll(async () => {
    await Promise.all(servers.map(close));
  });
  const start = async (behaviour: Parameters<typeof hostileServer>[1]) => {
    const seen: Seen = { cancels: 0, imageBytesSent: 0, imageClosedEarly: false };
    const server = hostileServer(seen, behaviour);
    servers.push(server);
    return { seen, url: await listen(server) };
  };

  it("--timeout bounds the run even when the cancel never answers: exit 5, saying the cancel was not confirmed", async () => {
    const { seen, url } = await start("hanging-cancel");
    const result = await flux(["run", "flux-lora", "--prompt", "a stuck fox", "--timeout", "3", "--base-url", url], { cwd, env: cleanEnv() });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain("Cancelling request j1 was not confirmed");
    expect(result.stderr).toContain("flux cancel j1");
    expect(seen.cancels).toBeGreaterThanOrEqual(1);
  });

  it("an image over --max-image-mb is refused while streaming (exit 4), and the download stops", async () => {
    const { seen, url } = await start("huge-image");
    const result = await flux(["run", "flux-lora", "--prompt", "a huge fox", "--max-image-mb", "2", "--base-url", url, "--out", cwd], { cwd, env: cleanEnv() });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("is larger than 2 MiB; the download was stopped");
    expect(seen.imageClosedEarly).toBe(true);
    expect(seen.imageBytesSent).toBeLessThan(BIG);
  });

  it("an image declared larger than the default cap is refused before its body is read", async () => {
    const { seen, url } = await start("huge-declared-image");
    const result = await flux(["run", "flux-lora", "--prompt", "a declared fox", "--base-url", url, "--out", cwd], { cwd, env: cleanEnv() });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("is larger than 64 MiB");
    expect(seen.imageBytesSent).toBeLessThan(BIG);
  });
});
