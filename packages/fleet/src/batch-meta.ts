/** A batch's description in Redis (one hash), written on its first enqueue and read by status and results. */
import type { Redis } from "ioredis";
import { FleetError } from "./errors.js";
import { keys } from "./names.js";
import type { BatchMeta } from "./types.js";

export async function readBatchMeta(redis: Redis, name: string): Promise<BatchMeta | undefined> {
  const fields = await redis.hgetall(keys.batch(name));
  if (fields.meta === undefined) return undefined;
  return JSON.parse(fields.meta) as BatchMeta;
}

export async function requireBatchMeta(redis: Redis, name: string): Promise<BatchMeta> {
  const meta = await readBatchMeta(redis, name);
  if (meta === undefined) {
    const known = await listBatches(redis);
    throw new FleetError(
      `No batch named "${name}" on this Redis.${known.length > 0 ? ` Batches there: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", …" : ""}.` : ""} Enqueue one with \`flux batch <file> --redis … --name ${name}\`.`,
    );
  }
  return meta;
}

export async function writeBatchMeta(redis: Redis, meta: BatchMeta): Promise<void> {
  await redis.hset(keys.batch(meta.name), "meta", JSON.stringify(meta));
}

/** Names of every batch, for messages (SCAN: never blocks Redis). */
export async function listBatches(redis: Redis): Promise<string[]> {
  const prefix = keys.batch("");
  const names: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    names.push(...found.map((k) => k.slice(prefix.length)));
  } while (cursor !== "0" && names.length < 1000);
  return names.sort();
}
