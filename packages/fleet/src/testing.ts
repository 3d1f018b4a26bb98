/**
 * `@fluxkit/fleet/testing`: a throwaway `redis-server` (the real one, e.g. Debian's package) on a
 * free loopback port, with no persistence and its own temp directory. For tests of a fleet
 * setup: BullMQ runs Lua scripts and blocking commands, which no Redis mock supports.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (with the password when one was set). */
  readonly url: string;
  readonly port: number;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** The redis-server binary. Default: $REDIS_SERVER, else /usr/bin/redis-server, else `redis-server` on PATH. */
  readonly binary?: string;
  /** Require this password (`requirepass`). */
  readonly password?: string;
  /** How long the server may take to start. Default 15 s. */
  readonly startTimeoutMs?: number;
}

function defaultBinary(): string {
  const fromEnv = process.env.REDIS_SERVER;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return existsSync("/usr/bin/redis-server") ? "/usr/bin/redis-server" : "redis-server";
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) done();
    };
    const onExit = (code: number | null) => fail(new Error(`redis-server exited (code ${code}) before it was ready:\n${output}`));
    const onError = (error: Error) =>
      fail(new Error(`could not start redis-server (${error.message}); install it (Debian: apt-get install redis-server) or set REDIS_SERVER.`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      child.off("error", onError);
    };
    const done = () => {
      cleanup();
      resolve();
    };
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? defaultBinary();
  const dir = await mkdtemp(join(tmpdir(), "fluxkit-redis-"));
  let lastError: unknown;
  // A free port can be taken between the probe and redis binding it: try a few.
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no"];
    if (options.password !== undefined) args.push("--requirepass", options.password);
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stderr?.resume();
    try {
      await waitForReady(child, options.startTimeoutMs ?? 15_000);
    } catch (error) {
      lastError = error;
      child.kill("SIGKILL");
      if (error instanceof Error && error.message.startsWith("could not start")) break;
      continue;
    }
    child.stdout?.resume();
    const auth = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
    return {
      url: `redis://${auth}127.0.0.1:${port}`,
      port,
      async close() {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
