/**
 * The one rate limit a provider's workers share: BullMQ's global rate limit on the provider's
 * queue, kept in Redis, so every worker on every machine counts against the same budget. It
 * limits jobs started (each start is one submit, or one follow-up of an accepted job).
 */
import type { Redis } from "ioredis";
import { FleetError } from "./errors.js";
import { queueNameFor } from "./names.js";
import { openQueue } from "./queues.js";

export interface RateLimit {
  readonly max: number;
  readonly durationMs: number;
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** `10/s`, `600/min`, `5/2s`, `100/1h`: at most `max` job starts per window. `off` removes the limit. */
export function parseRateLimit(text: string, flag = "--rate"): RateLimit | "off" {
  const trimmed = text.trim();
  if (trimmed === "off") return "off";
  const match = /^(\d+)\s*\/\s*(\d*(?:\.\d+)?)\s*(ms|s|sec|m|min|h)$/.exec(trimmed);
  const max = Number(match?.[1]);
  const count = match?.[2] === "" ? 1 : Number(match?.[2]);
  const unit = UNITS[match?.[3] ?? ""];
  if (match === null || unit === undefined || !Number.isInteger(max) || max < 1 || !(count > 0)) {
    throw new FleetError(`${flag} "${text}": expected <jobs>/<time>, e.g. 10/s, 600/min, 5/2s (or "off" to remove the limit).`);
  }
  const durationMs = Math.round(count * unit);
  if (durationMs < 10) throw new FleetError(`${flag} "${text}": the window must be at least 10 ms.`);
  return { max, durationMs };
}

export function describeRateLimit(limit: RateLimit | undefined): string {
  if (limit === undefined) return "no rate limit";
  const perSecond = (limit.max * 1000) / limit.durationMs;
  return `${limit.max} jobs per ${limit.durationMs} ms (${perSecond.toFixed(perSecond < 10 ? 2 : 1)}/s)`;
}

/** Sets (or with "off" removes) the shared limit of a provider's queue; returns what is in force now. */
export async function setRateLimit(redis: Redis, provider: string, limit: RateLimit | "off"): Promise<RateLimit | undefined> {
  const queue = openQueue(redis, queueNameFor(provider));
  try {
    if (limit === "off") await queue.removeGlobalRateLimit();
    else await queue.setGlobalRateLimit(limit.max, limit.durationMs);
    return await readLimit(queue);
  } finally {
    await queue.close();
  }
}

export async function getRateLimit(redis: Redis, provider: string): Promise<RateLimit | undefined> {
  const queue = openQueue(redis, queueNameFor(provider));
  try {
    return await readLimit(queue);
  } finally {
    await queue.close();
  }
}

async function readLimit(queue: ReturnType<typeof openQueue>): Promise<RateLimit | undefined> {
  const limit = await queue.getGlobalRateLimit();
  return limit === null ? undefined : { max: limit.max, durationMs: limit.duration };
}
