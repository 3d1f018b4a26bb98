/** What is stored in Redis for each line: its job's data and, once done, its result. */
import type { LineError } from "./errors.js";

export interface LineJobData {
  readonly batch: string;
  /** 1-based line number in the input file. */
  readonly line: number;
  /** sha256 of the line's text: tells a re-enqueue whether the line changed. */
  readonly hash: string;
  /** Endpoint id, e.g. `fal-ai/flux-lora`. */
  readonly endpoint: string;
  readonly input: Record<string, unknown>;
  /** Sent as `idempotency-key` with the submit. */
  readonly idempotencyKey: string;
  /** Submit with `?fal_webhook=` and complete from the delivery instead of polling. */
  readonly webhookUrl?: string;
  /** Raised by `--resubmit-unconfirmed`: a submit record of an older generation may be replaced. */
  readonly resubmitGeneration?: number;
  /** The last failure, typed (BullMQ itself keeps only a message). */
  readonly error?: LineError;
}

/** A done line's result: the job's BullMQ return value. */
export interface LineResult {
  readonly request_id: string;
  /** Absolute paths of the images and the result JSON, on the worker that saved them. */
  readonly files: readonly string[];
  /** The host name of that worker. */
  readonly host: string;
}

/** What a batch is, stored once when it is first enqueued. */
export interface BatchMeta {
  readonly name: string;
  readonly file: string;
  readonly endpoint: string;
  /** Provider identity: `chainhub`, `fal`, `url:http://…`. */
  readonly provider: string;
  readonly queue: string;
  /** Line numbers of the enqueued lines, ascending. */
  readonly lines: readonly number[];
  /** Lines skipped with --skip-invalid, and why. */
  readonly invalid: readonly { readonly line: number; readonly problem: string }[];
  readonly webhook_url?: string;
  readonly created_at: string;
}
