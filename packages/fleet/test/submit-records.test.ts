/** The submit records against a real redis-server: the compare-and-set that keeps a line from being submitted twice. */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRedis } from "../src/redis.js";
import { jobOfRequest, SubmitRecords } from "../src/submit-records.js";
import { type RedisServer, startRedisServer } from "../src/testing.js";

describe("submit records", () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = await connectRedis(server.url);
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.close();
  });

  it("lets exactly one of many concurrent claimers submit", async () => {
    const records = new SubmitRecords(redis, "flux-test");
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => records.claim("race.1", `token-${i}`, 0)));
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    const winner = claims.findIndex((c) => c.claimed);
    for (const c of claims) if (!c.claimed) expect(c.record).toMatchObject({ phase: "submitting", owner: `token-${winner}`, generation: 0 });
  });

  it("never lets a recorded request id be replaced, whatever the generation", async () => {
    const records = new SubmitRecords(redis, "flux-test");
    expect(await records.claim("kept.1", "a", 0)).toEqual({ claimed: true });
    await records.submitted("kept.1", "req-1", 0);
    expect(await records.claim("kept.1", "b", 5)).toMatchObject({ claimed: false, record: { phase: "submitted", request_id: "req-1" } });
    expect(await jobOfRequest(redis, "req-1")).toEqual({ queue: "flux-test", job: "kept.1" });
  });

  it("treats a stale 'about to submit' as unconfirmed until a newer generation is allowed", async () => {
    const records = new SubmitRecords(redis, "flux-test");
    expect((await records.claim("stale.1", "crashed", 0)).claimed).toBe(true);
    // The worker died: another attempt of the same generation may not submit.
    expect(await records.claim("stale.1", "heir", 0)).toMatchObject({ claimed: false, record: { phase: "submitting", owner: "crashed" } });
    // --resubmit-unconfirmed raised the generation.
    expect((await records.claim("stale.1", "heir", 1)).claimed).toBe(true);
    expect(await records.get("stale.1")).toMatchObject({ phase: "submitting", owner: "heir", generation: 1 });
  });

  it("releases only the caller's own claim (a refused submit created no job)", async () => {
    const records = new SubmitRecords(redis, "flux-test");
    await records.claim("refused.1", "mine", 0);
    await records.release("refused.1", "someone-else");
    expect(await records.get("refused.1")).toMatchObject({ owner: "mine" });
    await records.release("refused.1", "mine");
    expect(await records.get("refused.1")).toBeUndefined();
    expect((await records.claim("refused.1", "again", 0)).claimed).toBe(true);
  });
});
