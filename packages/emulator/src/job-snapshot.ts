/** A job as the in-process API shows it (`emulator.job()`, `waitForJob()`): a copy, not the live job. */
import type { Job, JobFailure, JobState, QueueLog } from "./queue-simulator.js";
import type { JsonObject } from "./spec-catalog.js";

export interface JobSnapshot {
  readonly requestId: string;
  readonly endpointId: string;
  readonly app: string;
  readonly state: JobState;
  readonly queuePosition: number | undefined;
  readonly logs: readonly QueueLog[];
  readonly cancelled: boolean;
  readonly output: JsonObject | undefined;
  readonly failure: JobFailure | undefined;
}

/** `queuePosition` is the job's place in the queue, used while it is IN_QUEUE. */
export function snapshotJob(job: Job, queuePosition: number): JobSnapshot {
  return {
    requestId: job.id,
    endpointId: job.endpointId,
    app: job.app,
    state: job.state,
    queuePosition: job.state === "IN_QUEUE" ? queuePosition : undefined,
    logs: [...job.logs],
    cancelled: job.cancelled,
    output: job.outcome !== undefined && "output" in job.outcome ? job.outcome.output : undefined,
    failure: job.outcome !== undefined && "failure" in job.outcome ? job.outcome.failure : undefined,
  };
}
