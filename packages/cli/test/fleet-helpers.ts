/** Fleet tests: a real redis-server, real `flux worker` processes, and a few ways to watch them. */
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { connectRedis, type RedisConnection } from "@fluxkit/fleet";
import { startFlux, type Running, waitFor } from "./helpers.js";

export { startRedisServer, type RedisServer } from "@fluxkit/fleet/testing";

/** Connections opened by a test file, closed in its afterAll. */
export async function openRedis(url: string, opened: RedisConnection[]): Promise<RedisConnection> {
  const redis = await connectRedis(url);
  opened.push(redis);
  return redis;
}

/** A JSONL file of `count` distinct small prompts (64×64 PNGs keep the work light). */
export async function writePrompts(dir: string, file: string, count: number, prefix: string): Promise<string> {
  // PNG: the emulator encodes it far cheaper than JPEG, which matters with hundreds of jobs on a busy machine.
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({ prompt: `${prefix} ${i + 1}`, image_size: { width: 64, height: 64 }, output_format: "png" }),
  );
  const path = join(dir, file);
  await writeFile(path, `${lines.join("\n")}\n`);
  return path;
}

export interface WorkerOptions {
  readonly redis: string;
  readonly baseUrl: string;
  readonly cwd: string;
  readonly concurrency?: number;
  readonly extra?: readonly string[];
}

/** A `flux worker` process; resolves once it says it serves its queue. */
export async function startWorker(options: WorkerOptions): Promise<Running> {
  const running = startFlux(
    [
      "worker",
      "--redis",
      options.redis,
      "--base-url",
      options.baseUrl,
      "--concurrency",
      String(options.concurrency ?? 4),
      // Short locks, so the jobs of a killed worker are taken over within seconds.
      "--lock-duration",
      "3",
      "--stalled-interval",
      "1",
      ...(options.extra ?? []),
    ],
    { cwd: options.cwd },
  );
  let exited = false;
  void running.exited.then(() => {
    exited = true;
  });
  await waitFor(
    "the worker to start",
    () => {
      if (exited) throw new Error(`flux worker exited early:\n${running.stdout()}\n${running.stderr()}`);
      return running.stdout().includes("flux worker: serving queue");
    },
    30_000,
  );
  return running;
}

/** Lines of a process's stdout matching `pattern`. */
export function linesMatching(running: Running, pattern: RegExp): string[] {
  return running
    .stdout()
    .split("\n")
    .filter((l) => pattern.test(l));
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
