/**
 * `flux batch --redis`: enqueueing is idempotent (job id = batch name + line), bad Redis URLs and
 * unreachable servers are clear errors that never print a password and enqueue nothing, and
 * the journal mode is untouched by the new flags.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createEmulator, type Emulator } from "@fluxkit/emulator";
import { batchStatus, queueNameFor, type RedisConnection } from "@fluxkit/fleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, openRedis, type RedisServer, startRedisServer, writePrompts } from "./fleet-helpers.js";
import { main } from "../src/main.js";
import { assertBuilt, cleanEnv, flux, tempDir } from "./helpers.js";

assertBuilt();

/** `flux <args>` in this process: for answers that come before any work, no process to start. */
async function fluxHere(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const sink = (name: "stdout" | "stderr") => ({
    write(chunk: string): boolean {
      out[name] += chunk;
      return true;
    },
  });
  const code = await main(args, { stdout: sink("stdout"), stderr: sink("stderr"), env: cleanEnv(), signal: new AbortController().signal });
  return { code, ...out };
}

describe("flux batch --redis: enqueueing", { timeout: 120_000 }, () => {
  let redisServer: RedisServer;
  let secured: RedisServer;
  let emulator: Emulator;
  const connections: RedisConnection[] = [];
  beforeAll(async () => {
    [redisServer, secured, emulator] = await Promise.all([
      startRedisServer(),
      startRedisServer({ password: "correct-horse-battery" }),
      createEmulator({ provider: "fal", latency: "instant" }),
    ]);
  });
  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await Promise.all([redisServer?.close(), secured?.close(), emulator?.close()]);
  });

  it("enqueues each line once: a second enqueue adds nothing, a changed line is reported, not added", async () => {
    const cwd = await tempDir();
    const file = await writePrompts(cwd, "p.jsonl", 5, "enqueue fox");
    const args = ["batch", "p.jsonl", "-e", "flux-lora", "--redis", redisServer.url, "--name", "spring", "--base-url", emulator.url];
    const first = await flux(args, { cwd });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("batch spring: 5 lines enqueued, 0 already enqueued");

    const second = await flux([...args, "--json"], { cwd });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ batch: "spring", added: 0, already: 5, changed: [] });

    // Line 3 edited: the enqueued text counts, and the user is told so.
    const text = await readFile(file, "utf8");
    await writeFile(file, text.replace("enqueue fox 3", "an edited fox"));
    const third = await flux(args, { cwd });
    expect(third.code).toBe(0);
    expect(third.stdout).toContain("0 lines enqueued, 5 already enqueued");
    expect(third.stderr).toContain("lines 3 differ from the text enqueued earlier");

    const redis = await openRedis(redisServer.url, connections);
    const status = await batchStatus(redis, "spring");
    expect(status).toMatchObject({ lines: 5, counts: { queued: 5, running: 0, done: 0, failed: 0 }, queue: queueNameFor(`url:${emulator.url}`) });
    // Enqueueing submits nothing: that is the workers' job.
    expect(emulator.stats().requests.submit).toBe(0);

    // A batch name belongs to one file.
    await writePrompts(cwd, "other.jsonl", 2, "other");
    const clash = await flux(["batch", "other.jsonl", "-e", "flux-lora", "--redis", redisServer.url, "--name", "spring", "--base-url", emulator.url], { cwd });
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/Batch "spring" already exists for .*p\.jsonl.*Pick another --name/);
  });

  it("an unreachable Redis is a clear error naming the URL, its password hidden, and nothing is enqueued", async () => {
    const cwd = await tempDir();
    await writePrompts(cwd, "p.jsonl", 2, "unreachable");
    const port = await closedPort();
    const url = `redis://:s3cret-pass@127.0.0.1:${port}/0`;
    emulator.resetStats();
    const file = join(cwd, "p.jsonl");
    for (const args of [
      ["batch", file, "-e", "flux-lora", "--redis", url, "--name", "nowhere", "--base-url", emulator.url],
      ["worker", "--redis", url, "--base-url", emulator.url],
      ["batch", "status", "nowhere", "--redis", url],
    ]) {
      const exit = await fluxHere(args);
      expect(exit.code, args.join(" ")).toBe(4);
      expect(exit.stderr).toContain(`Cannot use Redis at redis://:***@127.0.0.1:${port}/0 (connect ECONNREFUSED`);
      expect(exit.stderr).toContain("Check that Redis runs there");
      expect(exit.stdout + exit.stderr).not.toContain("s3cret-pass");
    }
    expect(emulator.stats().requests.submit).toBe(0);

    // A wrong password: the server answers, refuses, and the message says what to check.
    const wrong = secured.url.replace("correct-horse-battery", "wrong-horse");
    const refused = await fluxHere(["batch", file, "-e", "flux-lora", "--redis", wrong, "--name", "nowhere", "--base-url", emulator.url]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/WRONGPASS|invalid username-password/);
    expect(refused.stderr).toContain("Check the user and password in the URL.");
    expect(refused.stderr).not.toContain("wrong-horse");
    const redis = await openRedis(secured.url, connections);
    expect(await redis.keys("fluxkit:*")).toEqual([]);
  });

  it("refuses bad flags before touching Redis", async () => {
    const cwd = await tempDir();
    const base = ["batch", await writePrompts(cwd, "p.jsonl", 2, "flags"), "-e", "flux-lora"];
    const cases: Array<[string[], RegExp]> = [
      [[...base, "--redis", "http://127.0.0.1:6379", "--name", "x", "--base-url", emulator.url], /is not a Redis URL/],
      [[...base, "--redis", redisServer.url, "--base-url", emulator.url], /--name: every batch on Redis needs a name/],
      [[...base, "--redis", redisServer.url, "--name", "bad:name", "--base-url", emulator.url], /--name "bad:name": use 1-64 letters/],
      [[...base, "--redis", redisServer.url, "--name", "x", "--provider", "local"], /needs a provider every worker can reach/],
      [
        [...base, "--redis", redisServer.url, "--name", "x", "--base-url", emulator.url, "--concurrency", "4"],
        /--concurrency with --redis: workers run the jobs/,
      ],
      [[...base, "--name", "x"], /--name applies to batches on Redis/],
      [["batch", "status", "x"], /flux batch status is for batches on Redis: add --redis/],
      [["batch", "status", "no-such-batch", "--redis", redisServer.url], /No batch named "no-such-batch"/],
      [["worker", "--redis", redisServer.url], /which provider\? Pass --provider/],
      [["worker", "--redis", redisServer.url, "--base-url", emulator.url, "--rate", "fast"], /--rate "fast": expected <jobs>\/<time>/],
    ];
    for (const [args, pattern] of cases) {
      const exit = await fluxHere(args);
      expect(exit.stderr, args.join(" ")).toMatch(pattern);
      expect(exit.code, args.join(" ")).toBe(2);
    }
    const redis = await openRedis(redisServer.url, connections);
    expect(await redis.keys("fluxkit:fleet:batch:x")).toEqual([]);
  });
});
