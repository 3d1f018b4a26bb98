/**
 * The fleet under fire: a real redis-server, three `flux worker` processes and the emulator
 * injecting faults into about one request in five, on 300 lines. One worker is killed with
 * SIGKILL mid-run and a fresh one started. Every line must end done or failed with a typed
 * error, no line may be lost, the emulator must see no duplicate submit, and `results` must
 * give 300 lines in input order.
 */
import { existsSync } from "node:fs";
import { createEmulator, type Emulator, type FaultRule, parseFaultRule } from "@fluxkit/emulator";
import { batchResults, batchStatus, type LineReport, type RedisConnection } from "@fluxkit/fleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { linesMatching, openRedis, type RedisServer, startRedisServer, startWorker, writePrompts } from "./fleet-helpers.js";
import { assertBuilt, flux, type Running, tempDir, waitFor } from "./helpers.js";

assertBuilt();

const LINES = 300;

/**
 * Seeded rates on every route, in the emulator's `--fault` form (`route:name[=param]@rate`):
 * roughly one request in five meets a fault somewhere.
 */
const FAULTS: readonly FaultRule[] = [
  "submit:429=0@0.04 submit:503=0@0.03 submit:502@0.01 submit:drop@0.01 submit:lost-response@0.01",
  "submit:job-error-422@0.02 submit:job-error-500@0.02 submit:result-422@0.02",
  "status:503=0@0.03 status:502@0.02 status:drop@0.02 stream:broken-stream@0.1 stream:502@0.03 stream:drop@0.03",
  "result:502@0.03 result:503=0@0.03 result:lost-response@0.02",
].flatMap((line) => line.split(" ").map((rule) => parseFaultRule(rule, "FAULTS")));

/** The failures a line may end with: the queue package's typed errors and the fleet's own. */
const TYPED_ERRORS = new Set([
  "JobFailedError",
  "UnconfirmedSubmitError",
  "RateLimitError",
  "ServerError",
  "ConnectionError",
  "ProtocolError",
  "RequestError",
  "TimeoutError",
  "ValidationError",
]);

describe(`fleet: ${LINES} lines, 3 workers, 20 % faults, one worker SIGKILLed`, { timeout: 300_000 }, () => {
  let redisServer: RedisServer;
  let emulator: Emulator;
  const connections: RedisConnection[] = [];
  const workers: Running[] = [];
  beforeAll(async () => {
    [redisServer, emulator] = await Promise.all([
      startRedisServer(),
      createEmulator({ provider: "fal", latency: { startMs: 0, runMs: 40, progressSteps: 1, manual: false }, concurrency: 64, seed: 15, faults: FAULTS }),
    ]);
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await Promise.all(workers.map((w) => w.exited));
    for (const c of connections) c.disconnect();
    await Promise.all([redisServer?.close(), emulator?.close()]);
  });

  it("ends every line done or failed with a typed error, none lost, none submitted twice", async () => {
    const started = Date.now();
    const cwd = await tempDir();
    await writePrompts(cwd, "prompts.jsonl", LINES, "chaos fox");
    const redis = await openRedis(redisServer.url, connections);
    const enqueue = await flux(["batch", "prompts.jsonl", "-e", "flux-lora", "--redis", redisServer.url, "--name", "chaos", "--base-url", emulator.url], {
      cwd,
    });
    expect(enqueue.stderr).toBe("");
    expect(enqueue.stdout).toContain(`${LINES} lines enqueued`);

    const worker = () => startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd, concurrency: 8 });
    workers.push(...(await Promise.all([worker(), worker(), worker()])));
    const [victim] = workers;
    if (victim === undefined) throw new Error("no worker");

    // Mid-run: the victim has jobs in hand. Kill it without warning, and start a fresh worker.
    const finished = async () => {
      const s = await batchStatus(redis, "chaos");
      return s.counts.done + s.counts.failed;
    };
    await waitFor("a third of the lines to finish", async () => (await finished()) >= LINES / 3, 120_000);
    const inHand = await waitFor(
      "the victim to hold jobs",
      async () => {
        const held = await linesHeldBy(redis, "chaos", victim.child.pid);
        return held.length > 0 ? held : undefined;
      },
      30_000,
    );
    victim.child.kill("SIGKILL");
    expect((await victim.exited).signal).toBe("SIGKILL");
    const killedAt = await finished();
    workers.push(await worker());

    await waitFor("every line to finish", async () => (await finished()) === LINES, 180_000);

    // results: one line per input line, in order.
    const results = await flux(["batch", "results", "chaos", "--redis", redisServer.url], { cwd });
    const reports = results.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as LineReport);
    expect(reports.map((r) => r.line)).toEqual(Array.from({ length: LINES }, (_, i) => i + 1));
    const done = reports.filter((r) => r.status === "done");
    const failed = reports.filter((r) => r.status === "failed");
    expect(done.length + failed.length).toBe(LINES);
    for (const r of done) {
      expect(r.request_id, `line ${r.line}`).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.files?.length, `line ${r.line}`).toBe(2);
      for (const f of r.files ?? []) expect(existsSync(f), f).toBe(true);
      expect(emulator.job(r.request_id ?? "")?.state).toBe("COMPLETED");
    }
    for (const r of failed) {
      expect(TYPED_ERRORS.has(r.error?.name ?? ""), `line ${r.line}: ${JSON.stringify(r.error)}`).toBe(true);
      expect(r.error?.message, `line ${r.line}`).not.toBe("");
    }
    expect(results.code).toBe(failed.length === 0 ? 0 : 4);
    expect(new Set(done.map((r) => r.request_id)).size).toBe(done.length);

    // The jobs the victim held were finished by the others.
    for (const line of inHand) {
      expect(["done", "failed"], `line ${line}`).toContain(reports[line - 1]?.status);
    }
    const survivors = workers.slice(1);
    const resumed = survivors.flatMap((w) => linesMatching(w, /^chaos line \d+: resumed /));

    // Never paid twice: one job per idempotency key at most.
    const stats = emulator.stats();
    expect(stats.duplicateSubmits).toEqual([]);
    expect(Object.values(stats.jobsByIdempotencyKey).every((n) => n === 1)).toBe(true);
    expect(stats.jobsCreated).toBeLessThanOrEqual(LINES);
    const faults = Object.values(stats.faultsInjected).reduce((a, n) => a + (n ?? 0), 0);
    expect(faults).toBeGreaterThan(LINES / 10);

    const byError = new Map<string, number>();
    for (const r of failed) byError.set(r.error?.name ?? "", (byError.get(r.error?.name ?? "") ?? 0) + 1);
    console.log(
      `fleet chaos: ${LINES} lines, ${done.length} done, ${failed.length} failed ${JSON.stringify(Object.fromEntries(byError))}; ` +
        `victim killed at ${killedAt} finished holding ${inHand.length} jobs, ${resumed.length} resumed by request id; ` +
        `${stats.jobsCreated} jobs created, ${stats.duplicateSubmits.length} duplicate submits, ${faults} faults injected ${JSON.stringify(stats.faultsInjected)}; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});

/** Lines a worker process holds now (its name ends with its pid). */
async function linesHeldBy(redis: RedisConnection, batch: string, pid: number | undefined): Promise<number[]> {
  const held: number[] = [];
  for await (const r of batchResults(redis, batch)) if (r.status === "running" && r.worker?.endsWith(`-${pid}`)) held.push(r.line);
  return held;
}
