import type { CompletedStatus, QueueLog, QueueStatus } from "@fluxkit/protocol";
import { ProtocolError } from "./errors.js";
import { isRecord } from "./is-record.js";
import { previewJson } from "./redact.js";

export type { CompletedStatus, QueueStatus } from "@fluxkit/protocol";

/** How a value from a response appears in a message: the HTTP layer passes its redacting one. */
export type Show = (value: unknown, max: number) => string;

const plainShow: Show = (value, max) => {
  const text = typeof value === "string" ? JSON.stringify(value) : previewJson(value, max);
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

/** Parses a status body: tolerant of `logs: null`, `metrics: {}` and unknown fields; strict on the status itself. */
export function parseStatus(body: unknown, requestId: string | undefined, show: Show = plainShow): QueueStatus {
  // A garbled status says nothing about the job: retryable, so waiting polls again.
  if (!isRecord(body)) {
    throw new ProtocolError(`Expected a status object, got ${describe(body)}.`, { requestId, retryable: true });
  }
  const logs = parseLogs(body.logs, show);
  switch (body.status) {
    case "IN_QUEUE": {
      const position = body.queue_position;
      return typeof position === "number" ? { status: "IN_QUEUE", queue_position: position, logs } : { status: "IN_QUEUE", logs };
    }
    case "IN_PROGRESS":
      return { status: "IN_PROGRESS", logs };
    case "COMPLETED": {
      const metrics = isRecord(body.metrics) && typeof body.metrics.inference_time === "number" ? { inference_time: body.metrics.inference_time } : {};
      const completed: CompletedStatus = { status: "COMPLETED", logs, metrics };
      const error = nonEmptyString(body.error);
      const errorType = nonEmptyString(body.error_type);
      return {
        ...completed,
        ...(error === undefined ? {} : { error }),
        ...(errorType === undefined ? {} : { error_type: errorType }),
      };
    }
    default:
      throw new ProtocolError(`Unknown queue status ${show(body.status, 100)}; expected IN_QUEUE, IN_PROGRESS or COMPLETED.`, {
        requestId,
        retryable: true,
      });
  }
}

/** COMPLETED with `error` or `error_type` is a failed job. */
export function isFailed(status: CompletedStatus): boolean {
  return status.error !== undefined || status.error_type !== undefined;
}

function parseLogs(value: unknown, show: Show): QueueLog[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((entry) => ({
    message: typeof entry.message === "string" ? entry.message : show(entry.message ?? "", 1000),
    ...(typeof entry.level === "string" ? { level: entry.level } : {}),
    ...(typeof entry.timestamp === "string" ? { timestamp: entry.timestamp } : {}),
  }));
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}
