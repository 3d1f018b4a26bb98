/** A job's status as the queue reports it (`GET /{app}/requests/{id}/status`), and its log lines. */

export interface QueueLog {
  readonly message: string;
  readonly level?: string;
  readonly timestamp?: string;
}

export interface InQueueStatus {
  readonly status: "IN_QUEUE";
  /** Position in the queue; absent when a gateway does not report it. */
  readonly queue_position?: number;
  readonly logs: readonly QueueLog[];
}

export interface InProgressStatus {
  readonly status: "IN_PROGRESS";
  readonly logs: readonly QueueLog[];
}

export interface CompletedStatus {
  readonly status: "COMPLETED";
  readonly logs: readonly QueueLog[];
  readonly metrics: { readonly inference_time?: number };
  /** Set when the job failed: the run is then a JobFailedError, not a result. */
  readonly error?: string;
  readonly error_type?: string;
}

export type QueueStatus = InQueueStatus | InProgressStatus | CompletedStatus;

/** The values of `status`, in the order a job goes through them. */
export type QueueStatusName = QueueStatus["status"];
