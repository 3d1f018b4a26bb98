/** BullMQ queues over an existing ioredis connection, under our key prefix, with the job options every line gets. */
import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { KEY_PREFIX } from "./names.js";
import type { LineJobData, LineResult } from "./types.js";

export type LineQueue = Queue<LineJobData, LineResult, string>;

export function openQueue(redis: Redis, name: string): LineQueue {
  return new Queue<LineJobData, LineResult, string>(name, { connection: redis, prefix: KEY_PREFIX });
}

/**
 * Retries cover failures that are safe to repeat (a refused submit, a follow-up that broke):
 * the submit records decide whether a retry submits or follows up. Jobs are never removed, so
 * a re-enqueue recognises every line and `results` can report every one.
 */
export const LINE_JOB_OPTIONS: JobsOptions = {
  attempts: 4,
  backoff: { type: "exponential", delay: 2000 },
  removeOnComplete: false,
  removeOnFail: false,
};

/** Runs `task` over `items` in chunks, each chunk's calls in parallel (one Redis round trip's worth). */
export async function inChunks<T, R>(items: readonly T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(task))));
  return out;
}
