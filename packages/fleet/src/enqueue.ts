/**
 * `flux batch <file> --redis … --name …`: one BullMQ job per valid line, id = batch name + line
 * number, so enqueueing the same file again adds nothing. A re-enqueue also resumes: failed
 * lines that are safe to run again are retried (the submit records make sure a retry follows
 * up an accepted job instead of submitting it again), and lines whose submit was unconfirmed
 * are submitted again only with `resubmitUnconfirmed`.
 */
import type { Redis } from "ioredis";
import { readBatchMeta, writeBatchMeta } from "./batch-meta.js";
import { FleetError } from "./errors.js";
import { jobIdFor, queueNameFor } from "./names.js";
import { inChunks, LINE_JOB_OPTIONS, openQueue } from "./queues.js";
import type { BatchMeta, LineJobData } from "./types.js";

export interface EnqueueLine {
  readonly line: number;
  readonly hash: string;
  readonly input: Record<string, unknown>;
}

export interface EnqueueRequest {
  readonly name: string;
  /** Absolute path of the input file: a batch name belongs to one file. */
  readonly file: string;
  readonly endpoint: string;
  /** Provider identity (`chainhub`, `url:http://…`): picks the queue, and so the workers and the rate limit. */
  readonly provider: string;
  readonly lines: readonly EnqueueLine[];
  readonly invalid?: readonly { readonly line: number; readonly problem: string }[];
  readonly webhookUrl?: string | undefined;
  readonly resubmitUnconfirmed?: boolean;
}

export interface EnqueueReport {
  readonly batch: string;
  readonly queue: string;
  /** Lines enqueued by this call. */
  readonly added: number;
  /** Lines that were already enqueued (left as they are). */
  readonly already: number;
  /** Lines whose text differs from the one enqueued earlier: the earlier one counts. */
  readonly changed: readonly number[];
  /** Failed lines run again because that is safe. */
  readonly rerun: readonly number[];
  /** Unconfirmed lines submitted again, as asked. */
  readonly resubmitted: readonly number[];
  /** Unconfirmed lines left failed (see resubmitUnconfirmed). */
  readonly unconfirmed: readonly number[];
}

const CHUNK = 500;

export function idempotencyKeyFor(batch: string, line: EnqueueLine): string {
  return `fluxkit-fleet-${batch}-line-${line.line}-${line.hash.slice(0, 16)}`;
}

export async function enqueueBatch(redis: Redis, request: EnqueueRequest): Promise<EnqueueReport> {
  const queueName = queueNameFor(request.provider);
  const existing = await readBatchMeta(redis, request.name);
  if (existing !== undefined && (existing.file !== request.file || existing.endpoint !== request.endpoint || existing.provider !== request.provider)) {
    throw new FleetError(
      `Batch "${request.name}" already exists for ${existing.file} on ${existing.endpoint} via ${existing.provider.replace(/^url:/, "")}. Pick another --name for this one.`,
    );
  }
  const lineNumbers = [...new Set([...(existing?.lines ?? []), ...request.lines.map((l) => l.line)])].sort((a, b) => a - b);
  const meta: BatchMeta = {
    name: request.name,
    file: request.file,
    endpoint: request.endpoint,
    provider: request.provider,
    queue: queueName,
    lines: lineNumbers,
    invalid: request.invalid ?? existing?.invalid ?? [],
    ...(request.webhookUrl === undefined ? {} : { webhook_url: request.webhookUrl }),
    created_at: existing?.created_at ?? new Date().toISOString(),
  };
  // The description first: if this process dies mid-enqueue, status names the lines still missing.
  await writeBatchMeta(redis, meta);

  const queue = openQueue(redis, queueName);
  const changed: number[] = [];
  const rerun: number[] = [];
  const resubmitted: number[] = [];
  const unconfirmed: number[] = [];
  let added = 0;
  let already = 0;
  try {
    for (let i = 0; i < request.lines.length; i += CHUNK) {
      const chunk = request.lines.slice(i, i + CHUNK);
      const jobs = await inChunks(chunk, CHUNK, (l) => queue.getJob(jobIdFor(request.name, l.line)));
      const fresh = chunk.filter((_, k) => jobs[k] === undefined);
      if (fresh.length > 0) {
        // Same ids from a concurrent enqueue are ignored by BullMQ: still nothing twice.
        await queue.addBulk(
          fresh.map((l) => ({
            name: request.name,
            data: {
              batch: request.name,
              line: l.line,
              hash: l.hash,
              endpoint: request.endpoint,
              input: l.input,
              idempotencyKey: idempotencyKeyFor(request.name, l),
              ...(request.webhookUrl === undefined ? {} : { webhookUrl: request.webhookUrl }),
            } satisfies LineJobData,
            opts: { ...LINE_JOB_OPTIONS, jobId: jobIdFor(request.name, l.line) },
          })),
        );
        added += fresh.length;
      }
      await inChunks(
        chunk.flatMap((l, k) => {
          const job = jobs[k];
          return job === undefined ? [] : [{ line: l, job }];
        }),
        CHUNK,
        async ({ line, job }) => {
          already++;
          if (job.data.hash !== line.hash) changed.push(line.line);
          if (!(await job.isFailed())) return;
          const advice = job.data.error?.retry ?? "rerun";
          if (advice === "rerun") {
            await job.retry("failed");
            rerun.push(line.line);
          } else if (advice === "resubmit-unconfirmed") {
            if (request.resubmitUnconfirmed !== true) {
              unconfirmed.push(line.line);
              return;
            }
            const { error: _error, ...data } = job.data;
            await job.updateData({ ...data, resubmitGeneration: (data.resubmitGeneration ?? 0) + 1 });
            await job.retry("failed");
            resubmitted.push(line.line);
          }
        },
      );
    }
  } finally {
    await queue.close();
  }
  const sort = (list: number[]) => list.sort((a, b) => a - b);
  return {
    batch: request.name,
    queue: queueName,
    added,
    already,
    changed: sort(changed),
    rerun: sort(rerun),
    resubmitted: sort(resubmitted),
    unconfirmed: sort(unconfirmed),
  };
}
