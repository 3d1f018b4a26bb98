/**
 * The fleet's journal, in Redis: per job, "about to submit" before the submit is sent and the
 * request id as soon as it is known. The first record is taken with a compare-and-set (a Lua
 * script, atomic in Redis), so of two workers that both hold a job — one of them after its lock
 * lapsed — only one can ever submit it.
 */
import type { Redis } from "ioredis";
import { keys } from "./names.js";

export type SubmitRecord =
  /** About to send (or sending) the submit; `owner` is the BullMQ lock token of that attempt. */
  | { readonly phase: "submitting"; readonly owner: string; readonly generation: number; readonly at: string }
  /** Accepted as `request_id`: from now on the line is followed by that id, never submitted again. */
  | { readonly phase: "submitted"; readonly request_id: string; readonly generation: number; readonly at: string };

export type Claim = { readonly claimed: true } | { readonly claimed: false; readonly record: SubmitRecord };

// Claims the right to submit: only when there is no record, or an unconfirmed one of an older
// generation (an explicit --resubmit-unconfirmed). Returns the record that stands otherwise.
const CLAIM = `
local current = redis.call("HGET", KEYS[1], ARGV[1])
if current then
  local record = cjson.decode(current)
  if record.phase == "submitted" or tonumber(record.generation) >= tonumber(ARGV[3]) then
    return current
  end
end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return false
`;

// Drops an "about to submit" record, but only the caller's own (the submit was refused: no job exists).
const RELEASE = `
local current = redis.call("HGET", KEYS[1], ARGV[1])
if current then
  local record = cjson.decode(current)
  if record.phase == "submitting" and record.owner == ARGV[2] then
    redis.call("HDEL", KEYS[1], ARGV[1])
    return 1
  end
end
return 0
`;

export class SubmitRecords {
  readonly #redis: Redis;
  readonly #queue: string;
  readonly #key: string;

  constructor(redis: Redis, queue: string) {
    this.#redis = redis;
    this.#queue = queue;
    this.#key = keys.submits(queue);
  }

  async get(jobId: string): Promise<SubmitRecord | undefined> {
    const text = await this.#redis.hget(this.#key, jobId);
    return text === null ? undefined : (JSON.parse(text) as SubmitRecord);
  }

  async many(jobIds: readonly string[]): Promise<(SubmitRecord | undefined)[]> {
    if (jobIds.length === 0) return [];
    const texts = await this.#redis.hmget(this.#key, ...jobIds);
    return texts.map((t) => (t === null ? undefined : (JSON.parse(t) as SubmitRecord)));
  }

  async claim(jobId: string, owner: string, generation: number): Promise<Claim> {
    const record: SubmitRecord = { phase: "submitting", owner, generation, at: new Date().toISOString() };
    const standing = await this.#redis.eval(CLAIM, 1, this.#key, jobId, JSON.stringify(record), String(generation));
    return typeof standing === "string" ? { claimed: false, record: JSON.parse(standing) as SubmitRecord } : { claimed: true };
  }

  async release(jobId: string, owner: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#key, jobId, owner);
  }

  /** The request id, and where a webhook receiver finds the job by it; both in one transaction. */
  async submitted(jobId: string, requestId: string, generation: number): Promise<void> {
    const record: SubmitRecord = { phase: "submitted", request_id: requestId, generation, at: new Date().toISOString() };
    await this.#redis
      .multi()
      .hset(this.#key, jobId, JSON.stringify(record))
      .hset(keys.requests, requestId, JSON.stringify({ queue: this.#queue, job: jobId }))
      .exec();
  }
}

/** Where the webhook receiver finds the job of a request id. */
export async function jobOfRequest(redis: Redis, requestId: string): Promise<{ queue: string; job: string } | undefined> {
  const text = await redis.hget(keys.requests, requestId);
  return text === null ? undefined : (JSON.parse(text) as { queue: string; job: string });
}
