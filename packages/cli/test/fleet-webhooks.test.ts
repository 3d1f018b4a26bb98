/**
 * Completion by webhook: jobs submitted with fal_webhook, deliveries verified by
 * `flux webhook-receiver` and completed by the worker holding the job, with no status poll.
 * Valid, forged, stale, duplicate, late and unknown deliveries, and a worker drained with
 * Ctrl-C while its jobs wait for their deliveries.
 */
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createEmulator, type Emulator } from "@fluxkit/emulator";
import type { LineReport, RedisConnection } from "@fluxkit/fleet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort, linesMatching, openRedis, type RedisServer, startRedisServer, startWorker, writePrompts } from "./fleet-helpers.js";
import { assertBuilt, flux, type Running, startFlux, tempDir, waitFor } from "./helpers.js";

assertBuilt();

/** Headers signed like fal's, with a key of our own (not in the emulator's JWKS): a forgery. */
function forgedHeaders(requestId: string, body: string): Record<string, string> {
  const { privateKey } = generateKeyPairSync("ed25519");
  const timestamp = String(Math.floor(Date.now() / 1000));
  const digest = createHash("sha256").update(body).digest("hex");
  return {
    "content-type": "application/json",
    "x-fal-webhook-request-id": requestId,
    "x-fal-webhook-user-id": "fluxkit-emulator",
    "x-fal-webhook-timestamp": timestamp,
    "x-fal-webhook-signature": sign(null, Buffer.from(`${requestId}\nfluxkit-emulator\n${timestamp}\n${digest}`), privateKey).toString("hex"),
  };
}

describe("fleet: completion by webhook", { timeout: 180_000 }, () => {
  let redisServer: RedisServer;
  let emulator: Emulator;
  let receiver: Running;
  let receiverUrl = "";
  const connections: RedisConnection[] = [];
  const processes: Running[] = [];
  beforeAll(async () => {
    [redisServer, emulator] = await Promise.all([startRedisServer(), createEmulator({ provider: "fal", latency: "manual", concurrency: 8 })]);
    const cwd = await tempDir();
    receiver = startFlux(["webhook-receiver", "--redis", redisServer.url, "--port", "0", "--jwks-url", emulator.jwksUrl], { cwd });
    processes.push(receiver);
    receiverUrl = await waitFor("the receiver to listen", () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(receiver.stdout())?.[1], 30_000);
  });
  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.exited));
    for (const c of connections) c.disconnect();
    await Promise.all([redisServer?.close(), emulator?.close()]);
  });

  const post = async (headers: Record<string, string>, body: string) => {
    const response = await fetch(`${receiverUrl}/fal`, { method: "POST", headers, body });
    return { status: response.status, body: (await response.json()) as { status: string; reason?: string } };
  };

  it("verifies every delivery, completes jobs from valid ones without polling, ignores the rest", async () => {
    const cwd = await tempDir();
    await writePrompts(cwd, "hooks.jsonl", 4, "hooked fox");
    await openRedis(redisServer.url, connections);
    emulator.resetStats();
    // The first submit's job will fail: its delivery says ERROR.
    emulator.addFault({ fault: "job-error-422", route: "submit", times: 1 });
    const enqueue = await flux(
      [
        "batch",
        "hooks.jsonl",
        "-e",
        "flux-lora",
        "--redis",
        redisServer.url,
        "--name",
        "hooks",
        "--base-url",
        emulator.url,
        "--webhook-url",
        `${receiverUrl}/fal`,
      ],
      { cwd },
    );
    expect(enqueue.stderr).toBe("");
    expect(enqueue.code).toBe(0);

    // Worker A submits all four; the emulator holds the jobs running.
    const first = await startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd, concurrency: 8, extra: ["--webhook-fallback", "600"] });
    processes.push(first);
    await waitFor("four submits", () => linesMatching(first, /^hooks line \d+: submitted /).length === 4, 30_000);
    const requestIds = new Map(
      linesMatching(first, /submitted/).map((l) => {
        const [, line, id] = /^hooks line (\d+): submitted (\S+)/.exec(l) ?? [];
        return [Number(line), id ?? ""] as const;
      }),
    );
    const id = (line: number) => requestIds.get(line) ?? "";

    // Forged: a well-formed delivery for a real job, signed with a key fal does not publish. Refused, nothing changes.
    const fake = JSON.stringify({ request_id: id(2), gateway_request_id: id(2), status: "OK", payload: { images: [], prompt: "forged" }, error: null });
    const forged = await post(forgedHeaders(id(2), fake), fake);
    expect(forged).toEqual({ status: 401, body: expect.objectContaining({ status: "refused", reason: "bad_signature" }) });
    const unsigned = await post({ "content-type": "application/json" }, fake);
    expect(unsigned).toEqual({ status: 401, body: expect.objectContaining({ status: "refused", reason: "missing_header" }) });

    // Ctrl-C: worker A hands its four jobs back, their request ids on record; nothing is lost.
    first.child.kill("SIGINT");
    const drained = await first.exited;
    expect(drained.code).toBe(130);
    expect(linesMatching(first, /handed back \(request \S+ on record\)/)).toHaveLength(4);
    const queued = await flux(["batch", "status", "hooks", "--redis", redisServer.url, "--json"], { cwd });
    expect(JSON.parse(queued.stdout)).toMatchObject({ counts: { queued: 4, running: 0, done: 0, failed: 0 } });

    // The jobs complete while no worker runs: the receiver keeps their deliveries.
    emulator.finish();
    for (const line of [1, 2, 3, 4]) expect((await emulator.waitForWebhook(id(line))).responseStatus).toBe(200);
    await waitFor("four accepted deliveries", () => linesMatching(receiver, /^accepted /).length === 4);

    // fal delivers again (a retry): acknowledged, ignored.
    expect((await emulator.redeliverWebhook(id(1))).responseStatus).toBe(200);
    await waitFor("the duplicate noted", () => linesMatching(receiver, new RegExp(`^ignored ${id(1)}: duplicate delivery`)).length === 1);
    // Stale: genuinely signed, ten minutes ago. Refused.
    expect((await emulator.redeliverWebhook(id(2), { signedAtMs: Date.now() - 10 * 60_000 })).responseStatus).toBe(401);
    // A delivery for a job no batch knows: acknowledged, ignored.
    const direct = await fetch(`${emulator.url}/fal-ai/flux-lora?fal_webhook=${encodeURIComponent(`${receiverUrl}/fal`)}`, {
      method: "POST",
      headers: { authorization: "Key local", "content-type": "application/json" },
      body: JSON.stringify({ prompt: "a stranger", image_size: { width: 64, height: 64 } }),
    });
    const stranger = ((await direct.json()) as { request_id: string }).request_id;
    await waitFor("the stranger's job to run and finish", () => emulator.finish(stranger) === 1);
    expect((await emulator.waitForWebhook(stranger)).responseStatus).toBe(200);
    await waitFor("the unknown id noted", () => linesMatching(receiver, new RegExp(`^ignored ${stranger}: unknown request id`)).length === 1);

    // Worker B resumes the four by request id and completes them from the deliveries alone.
    const before = emulator.stats();
    const second = await startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd, concurrency: 8, extra: ["--webhook-fallback", "600"] });
    processes.push(second);
    await waitFor("four lines finished", () => linesMatching(second, /^hooks line \d+: (done|failed) /).length === 4, 30_000);
    expect(linesMatching(second, /^hooks line \d+: resumed /)).toHaveLength(4);
    const after = emulator.stats();
    expect(after.requests.status - before.requests.status).toBe(0);
    expect(after.requests.stream - before.requests.stream).toBe(0);
    expect(after.requests.result - before.requests.result).toBe(0);
    expect(after.requests.submit - before.requests.submit).toBe(0);

    // Late: a delivery for a finished job. Acknowledged, ignored.
    expect((await emulator.redeliverWebhook(id(3))).responseStatus).toBe(200);
    await waitFor("the late delivery noted", () => linesMatching(receiver, new RegExp(`^ignored ${id(3)}: job already finished`)).length === 1);

    const results = await flux(["batch", "results", "hooks", "--redis", redisServer.url], { cwd });
    const reports = results.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as LineReport);
    expect(reports.map((r) => [r.line, r.request_id])).toEqual([1, 2, 3, 4].map((l) => [l, id(l)]));
    const failed = reports.filter((r) => r.status === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toMatchObject({ name: "JobFailedError", request_id: failed[0]?.request_id, retry: "final" });
    for (const r of reports.filter((r) => r.status === "done")) {
      const json = JSON.parse(await readFile(r.files?.at(-1) ?? "", "utf8")) as { output: { prompt: string } };
      // The real output, not the forged one.
      expect(json.output.prompt).toBe(`hooked fox ${r.line}`);
    }
    expect(results.code).toBe(4);
    const stats = emulator.stats();
    expect(stats.duplicateSubmits).toEqual([]);
    expect(stats.jobsCreated).toBe(5);
    expect(receiver.stderr()).toBe("");
    second.child.kill("SIGINT");
    expect((await second.exited).code).toBe(130);
    const refused = linesMatching(receiver, /^refused /);
    expect(refused).toEqual([
      expect.stringMatching(/^refused \(401\): bad_signature/),
      expect.stringMatching(/^refused \(401\): missing_header/),
      expect.stringMatching(/^refused \(401\): stale/),
    ]);
    console.log(
      `fleet webhooks: 4 lines (3 done, 1 failed by an ERROR delivery); receiver: ${linesMatching(receiver, /^accepted/).length} accepted, ${linesMatching(receiver, /^ignored/).length} ignored, ${refused.length} refused (forged, unsigned, stale); 0 status/result requests while completing`,
    );
  });

  it("asks the provider when no delivery comes in time (a receiver that is down)", async () => {
    const cwd = await tempDir();
    await writePrompts(cwd, "lost.jsonl", 2, "unheard fox");
    // Nothing listens there: the emulator's deliveries fail, as fal's would against a dead receiver.
    const nowhere = `http://127.0.0.1:${await closedPort()}/fal`;
    const enqueue = await flux(
      ["batch", "lost.jsonl", "-e", "flux-lora", "--redis", redisServer.url, "--name", "unheard", "--base-url", emulator.url, "--webhook-url", nowhere],
      { cwd },
    );
    expect(enqueue.code).toBe(0);
    const worker = await startWorker({ redis: redisServer.url, baseUrl: emulator.url, cwd, extra: ["--webhook-fallback", "1"] });
    processes.push(worker);
    await waitFor("two submits", () => linesMatching(worker, /^unheard line \d+: submitted /).length === 2, 30_000);
    await waitFor(
      "both jobs finished on the server",
      () => {
        emulator.finish();
        return linesMatching(worker, /^unheard line \d+: done /).length === 2;
      },
      30_000,
    );
    expect(linesMatching(worker, /^unheard line \d+: no webhook delivery for \S+ in time; asking the provider/)).toHaveLength(2);
    const results = await flux(["batch", "results", "unheard", "--redis", redisServer.url], { cwd });
    expect(results.code).toBe(0);
  });
});
