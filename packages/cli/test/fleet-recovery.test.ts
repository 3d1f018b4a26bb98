/**
 * What the journal guarantees, on Redis: a worker killed between "about to submit" and the
 * request id leaves the line unconfirmed (never resubmitted unless asked), a worker drained
 * with Ctrl-C hands its jobs back with their request ids, and a new worker resumes them.
 */
import { createEmulator, type Emulator } from "@fluxkit/emulator";
import type { LineReport, RedisConnection } from "@fluxkit/fleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linesMatching, openRedis, type RedisServer, startRedisServer, startWorker, writePrompts } from "./fleet-helpers.js";
import { assertBuilt, flux, type Running, tempDir, waitFor } from "./helpers.js";

assertBuilt();

async function results(redisUrl: string, name: string, cwd: string): Promise<LineReport[]> {
  const exit = await flux(["batch", "results", name, "--redis", redisUrl], { cwd });
  return exit.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as LineReport);
}

describe("fleet: crash and drain recovery", { timeout: 180_000 }, () => {
  let redisServer: RedisServer;
  let emulator: Emulator;
  const connections: RedisConnection[] = [];
  const processes: Running[] = [];
  beforeAll(async () => {
    [redisServer, emulator] = await Promise.all([startRedisServer(), createEmulator({ provider: "fal", latency: "manual", concurrency: 8 })]);
  });
  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.exited));
    for (const c of connections) c.disconnect();
    await Promise.all([redisServer?.close(), emulator?.close()]);
  });

  const finishAll = (expected: number) =>
    waitFor(`${expected} jobs finished by the emulator`, () => {
      emulator.finish();
      return emulator.stats().jobs.COMPLETED >= expected;
    });

  it("a worker killed mid-submit leaves the line unconfirmed; only --resubmit-unconfirmed submits it again", async () => {
    const cwd = await tempDir();
    await writePrompts(cwd, "one.jsonl", 1, "mid-submit fox");
    await openRedis(redisServer.url, connections);
    emulator.resetStats();
    const enqueue = ["batch", "one.jsonl", "-e", "flux-lora", "--redis", redisServer.url, "--name", "midsubmit", "--base-url", emulator.url];
    expect((await flux(enqueue, { cwd })).code).toBe(0);

    // The submit is held for 4 s by the server; the worker dies while it waits for the answer.
    emulator.addFault({ fault: "slow", route: "submit", times: 1, delayMs: 4000 });
    const doomed = await startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd });
    processes.push(doomed);
    await waitFor("the submit to reach the server", () => emulator.stats().requests.submit === 1);
    doomed.child.kill("SIGKILL");
    // The server goes on and creates the job: it exists, and nobody knows its id.
    await waitFor("the held submit to create its job", () => emulator.stats().jobsCreated === 1);

    const heir = await startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd });
    processes.push(heir);
    await waitFor("the heir to report the line", () => linesMatching(heir, /^midsubmit line 1: failed /).length === 1, 30_000);
    expect(linesMatching(heir, /^midsubmit line 1: failed UnconfirmedSubmitError: An earlier attempt stopped during its submit/)).toHaveLength(1);
    const [unconfirmed] = await results(redisServer.url, "midsubmit", cwd);
    expect(unconfirmed).toMatchObject({ line: 1, status: "failed", error: { name: "UnconfirmedSubmitError", retry: "resubmit-unconfirmed" } });
    expect(emulator.stats().requests.submit).toBe(1);

    // Enqueueing again does not resubmit it: it says why.
    const again = await flux(enqueue, { cwd });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("lines 1 are unconfirmed");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(emulator.stats().requests.submit).toBe(1);

    // Asked explicitly: submitted again (with the same idempotency key, for providers that honour it).
    const resubmit = await flux([...enqueue, "--resubmit-unconfirmed"], { cwd });
    expect(resubmit.stdout).toContain("submitted again as asked (--resubmit-unconfirmed): lines 1");
    await waitFor("the resubmit", () => linesMatching(heir, /^midsubmit line 1: submitted /).length === 1, 30_000);
    await finishAll(2);
    await waitFor("the line done", () => linesMatching(heir, /^midsubmit line 1: done /).length === 1, 30_000);
    const [done] = await results(redisServer.url, "midsubmit", cwd);
    expect(done).toMatchObject({ line: 1, status: "done" });
    const counts = Object.entries(emulator.stats().jobsByIdempotencyKey).filter(([k]) => k.startsWith("fluxkit-fleet-midsubmit-line-1-"));
    expect(counts.map(([, n]) => n)).toEqual([2]);
    heir.child.kill("SIGINT");
    expect((await heir.exited).code).toBe(130);
  });

  it("Ctrl-C hands the jobs in hand back with their request ids; a new worker resumes them without submitting again", async () => {
    const cwd = await tempDir();
    await writePrompts(cwd, "three.jsonl", 3, "drained fox");
    emulator.resetStats();
    const enqueue = await flux(["batch", "three.jsonl", "-e", "flux-lora", "--redis", redisServer.url, "--name", "drain", "--base-url", emulator.url], { cwd });
    expect(enqueue.code).toBe(0);

    const first = await startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd, concurrency: 3 });
    processes.push(first);
    await waitFor("three submits", () => linesMatching(first, /^drain line \d+: submitted /).length === 3, 30_000);
    first.child.kill("SIGINT");
    const exit = await first.exited;
    expect(exit.code).toBe(130);
    expect(linesMatching(first, /^drain line \d+: handed back \(request \S+ on record\)/)).toHaveLength(3);
    expect(exit.stdout).toContain("flux worker: drained; jobs in hand went back to the queue");
    const handedBack = await results(redisServer.url, "drain", cwd);
    expect(handedBack.map((r) => r.status)).toEqual(["queued", "queued", "queued"]);
    const submitted = new Map(linesMatching(first, /submitted/).map((l) => [Number(/line (\d+)/.exec(l)?.[1]), l.split(" ").at(-1)]));
    expect(handedBack.map((r) => r.request_id)).toEqual([1, 2, 3].map((l) => submitted.get(l)));

    const second = await startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd, concurrency: 3 });
    processes.push(second);
    await waitFor("three resumed", () => linesMatching(second, /^drain line \d+: resumed /).length === 3, 30_000);
    await finishAll(3);
    await waitFor("three done", () => linesMatching(second, /^drain line \d+: done /).length === 3, 30_000);
    const final = await results(redisServer.url, "drain", cwd);
    expect(final.map((r) => [r.status, r.request_id])).toEqual([1, 2, 3].map((l) => ["done", submitted.get(l)]));
    expect(emulator.stats()).toMatchObject({ jobsCreated: 3, duplicateSubmits: [] });
    expect(emulator.stats().requests.submit).toBe(3);
    expect(emulator.stats().requests.cancel).toBe(0);
    second.child.kill("SIGTERM");
    // SIGTERM (a service manager stopping it) drains too, and is a clean exit.
    expect((await second.exited).code).toBe(0);
  });
});
