/**
 * `flux batch status` and `flux batch results`: read from BullMQ's own job states (the truth),
 * a chunk of lines at a time, so they work the same during the run and after it.
 */
import type { Redis } from "ioredis";
import { requireBatchMeta } from "./batch-meta.js";
import type { LineError } from "./errors.js";
import { jobIdFor } from "./names.js";
import { inChunks, type LineQueue, openQueue } from "./queues.js";
import { SubmitRecords } from "./submit-records.js";
import type { BatchMeta, LineResult } from "./types.js";

export type LineStatus = "queued" | "running" | "done" | "failed" | "invalid" | "missing";

export interface LineReport {
  readonly line: number;
  readonly status: LineStatus;
  readonly request_id?: string;
  readonly files?: readonly string[];
  readonly error?: LineError;
  /** For a finished line: when its last attempt started and ended (ISO 8601). */
  readonly started_at?: string;
  readonly finished_at?: string;
  /** For a running line: the worker holding it (`flux-worker-<host>-<pid>`). */
  readonly worker?: string;
  readonly note?: string;
}

export interface BatchStatus {
  readonly name: string;
  readonly file: string;
  readonly endpoint: string;
  readonly provider: string;
  readonly queue: string;
  readonly lines: number;
  readonly counts: Readonly<Record<LineStatus, number>>;
  /** Lines finished (done or failed) per second over the last minute; 0 when none finished in it. */
  readonly rate_per_second: number;
  /** Seconds until every line is finished at that rate; undefined when nothing is finishing. */
  readonly eta_seconds: number | undefined;
  /** The shared limiter of the provider's queue, when one is set. */
  readonly rate_limit: { readonly max: number; readonly duration_ms: number } | undefined;
  /** Workers connected to the provider's queue now. */
  readonly workers: number;
}

const CHUNK = 500;
const RATE_WINDOW_MS = 60_000;

interface LineView {
  readonly report: LineReport;
  readonly finishedOn: number | undefined;
}

async function viewLine(queue: LineQueue, records: SubmitRecords, name: string, line: number): Promise<LineView> {
  const id = jobIdFor(name, line);
  // The state first: a job seen completed (or failed) already holds its result (or error),
  // since BullMQ writes both in one atomic step; read the other way round they may disagree.
  const state = await queue.getJobState(id);
  const job = state === "unknown" ? undefined : await queue.getJob(id);
  if (job === undefined || state === "unknown") {
    return { report: { line, status: "missing", note: "not enqueued: run the same `flux batch … --redis` command again" }, finishedOn: undefined };
  }
  const finishedOn = job.finishedOn ?? undefined;
  const times = {
    ...(job.processedOn === undefined ? {} : { started_at: new Date(job.processedOn).toISOString() }),
    ...(finishedOn === undefined ? {} : { finished_at: new Date(finishedOn).toISOString() }),
  };
  const result = job.returnvalue as LineResult | null;
  if (state === "completed" && result !== null) {
    return { report: { line, status: "done", request_id: result.request_id, files: result.files, ...times }, finishedOn };
  }
  if (state === "failed") {
    const error: LineError = job.data.error ?? { name: "StalledJobError", message: job.failedReason ?? "failed without a message", retry: "rerun" };
    const note =
      error.retry === "final"
        ? undefined
        : error.retry === "rerun"
          ? "enqueueing the batch again runs it again"
          : "the submit may have created a job; enqueue again with --resubmit-unconfirmed to submit anyway";
    return {
      report: {
        line,
        status: "failed",
        ...(error.request_id === undefined ? {} : { request_id: error.request_id }),
        error,
        ...times,
        ...(note === undefined ? {} : { note }),
      },
      finishedOn,
    };
  }
  const record = await records.get(id);
  const requestId = record?.phase === "submitted" ? record.request_id : undefined;
  const worker = state === "active" ? job.processedBy : undefined;
  return {
    report: {
      line,
      status: state === "active" ? "running" : "queued",
      ...(requestId === undefined ? {} : { request_id: requestId }),
      ...(worker === undefined ? {} : { worker }),
    },
    finishedOn: undefined,
  };
}

async function* views(redis: Redis, meta: BatchMeta): AsyncGenerator<LineView> {
  const queue = openQueue(redis, meta.queue);
  const records = new SubmitRecords(redis, meta.queue);
  const invalid = new Map(meta.invalid.map((i) => [i.line, i.problem]));
  const all = [...new Set([...meta.lines, ...invalid.keys()])].sort((a, b) => a - b);
  try {
    for (let i = 0; i < all.length; i += CHUNK) {
      const chunk = all.slice(i, i + CHUNK);
      const seen = await inChunks(chunk, CHUNK, async (line) => {
        const problem = invalid.get(line);
        if (problem !== undefined) return { report: { line, status: "invalid" as const, note: problem }, finishedOn: undefined };
        return viewLine(queue, records, meta.name, line);
      });
      yield* seen;
    }
  } finally {
    await queue.close();
  }
}

/** One report per line of the batch, invalid ones included, in input order. */
export async function* batchResults(redis: Redis, name: string): AsyncGenerator<LineReport> {
  const meta = await requireBatchMeta(redis, name);
  for await (const view of views(redis, meta)) yield view.report;
}

export async function batchStatus(redis: Redis, name: string, now = Date.now()): Promise<BatchStatus> {
  const meta = await requireBatchMeta(redis, name);
  const counts: Record<LineStatus, number> = { queued: 0, running: 0, done: 0, failed: 0, invalid: 0, missing: 0 };
  let recent = 0;
  let first: number | undefined;
  for await (const view of views(redis, meta)) {
    counts[view.report.status]++;
    if (view.finishedOn !== undefined) {
      first = Math.min(first ?? view.finishedOn, view.finishedOn);
      if (now - view.finishedOn <= RATE_WINDOW_MS) recent++;
    }
  }
  // Over the last minute, or since the first line finished if that is sooner.
  const windowMs = first === undefined ? RATE_WINDOW_MS : Math.min(RATE_WINDOW_MS, Math.max(1000, now - first));
  const rate = recent / (windowMs / 1000);
  const remaining = counts.queued + counts.running + counts.missing;
  const queue = openQueue(redis, meta.queue);
  try {
    const [limit, workers] = await Promise.all([queue.getGlobalRateLimit(), queue.getWorkersCount()]);
    return {
      name: meta.name,
      file: meta.file,
      endpoint: meta.endpoint,
      provider: meta.provider,
      queue: meta.queue,
      lines: meta.lines.length + meta.invalid.length,
      counts,
      rate_per_second: rate,
      eta_seconds: rate > 0 ? remaining / rate : remaining === 0 ? 0 : undefined,
      rate_limit: limit === null || limit === undefined ? undefined : { max: limit.max, duration_ms: limit.duration },
      workers,
    };
  } finally {
    await queue.close();
  }
}
