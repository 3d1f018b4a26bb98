/**
 * The queue: jobs wait IN_QUEUE (positions move as jobs ahead start), run IN_PROGRESS with
 * logs on up to `concurrency` slots, then end COMPLETED, with an output or a failure.
 * Cancellation and the start deadline (X-Fal-Request-Timeout) end a job early.
 */
import type { LatencySettings } from "./config.js";

export type JobState = "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED";

export interface QueueLog {
  readonly message: string;
  readonly level: string;
  readonly source: string;
  readonly timestamp: string;
}

/** A failed job: COMPLETED with `error`/`error_type`; the result route answers `status` + `body`. */
export interface JobFailure {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly error: string;
  readonly errorType: string;
  /** The status shows a clean COMPLETED; only the result route tells of the failure. */
  readonly silent?: boolean;
}

export type JobOutcome = { readonly output: Record<string, unknown> } | { readonly failure: JobFailure };

export interface JobSpec {
  readonly id: string;
  readonly endpointId: string;
  readonly app: string;
  readonly priority: "low" | "normal";
  /** Start deadline in ms (X-Fal-Request-Timeout), if any. */
  readonly startTimeoutMs?: number;
  /** Makes the output when the run ends; called once. */
  readonly produce: (job: Job) => JobOutcome;
}

export interface Job extends JobSpec {
  state: JobState;
  readonly submittedAt: number;
  startedAt?: number;
  completedAt?: number;
  readonly logs: QueueLog[];
  outcome?: JobOutcome;
  /** Seconds of (simulated) inference, once completed. */
  inferenceTime?: number;
  cancelled: boolean;
}

type Listener = (job: Job) => void;

export const CANCELLED_FAILURE: JobFailure = {
  status: 400,
  body: { detail: "Request was cancelled.", error_type: "request_cancelled" },
  error: "Request was cancelled.",
  errorType: "request_cancelled",
};

export const START_TIMEOUT_FAILURE: JobFailure = {
  status: 504,
  body: { detail: "Request timed out before it started (X-Fal-Request-Timeout).", error_type: "request_timeout" },
  headers: { "x-fal-request-timeout-type": "user", "x-fal-retryable": "false", "x-fal-error-type": "request_timeout" },
  error: "Request timed out before it started.",
  errorType: "request_timeout",
};

export type CancelOutcome = "cancelled" | "already_completed";

export class QueueSimulator {
  readonly #jobs = new Map<string, Job>();
  /** Waiting jobs in the order they will start. */
  readonly #waiting: Job[] = [];
  /** Jobs holding a slot: starting (after startMs) or running. */
  readonly #active = new Set<Job>();
  readonly #timers = new Map<Job, Set<NodeJS.Timeout>>();
  readonly #listeners = new Map<Job, Set<Listener>>();
  readonly #completedWaiters = new Map<Job, Array<() => void>>();
  readonly #onComplete: Listener;
  #closed = false;

  constructor(
    readonly concurrency: number,
    readonly latency: LatencySettings,
    onComplete: Listener,
  ) {
    this.#onComplete = onComplete;
  }

  submit(spec: JobSpec): Job {
    const job: Job = { ...spec, state: "IN_QUEUE", submittedAt: Date.now(), logs: [], cancelled: false };
    this.#jobs.set(job.id, job);
    // Normal priority goes ahead of low priority, FIFO within each.
    const index = job.priority === "low" ? this.#waiting.length : this.#waiting.findIndex((j) => j.priority === "low");
    this.#waiting.splice(index < 0 ? this.#waiting.length : index, 0, job);
    if (spec.startTimeoutMs !== undefined) {
      this.#timer(job, spec.startTimeoutMs, () => {
        if (this.#waiting.includes(job)) this.#end(job, { failure: START_TIMEOUT_FAILURE });
      });
    }
    // Deferred so the submit answer is always IN_QUEUE, as fal's is.
    setImmediate(() => this.#pump());
    return job;
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id);
  }

  all(): Job[] {
    return [...this.#jobs.values()];
  }

  /** 0 for the next job to start. */
  position(job: Job): number {
    const index = this.#waiting.indexOf(job);
    return Math.max(index, 0);
  }

  cancel(job: Job): CancelOutcome {
    if (job.state === "COMPLETED") return "already_completed";
    job.cancelled = true;
    this.#end(job, { failure: CANCELLED_FAILURE });
    return "cancelled";
  }

  /** Manual latency: completes the given running job, or all running jobs. Returns how many. */
  finish(id?: string): number {
    const running = [...this.#active].filter((j) => j.state === "IN_PROGRESS" && (id === undefined || j.id === id));
    for (const job of running) this.#complete(job);
    return running.length;
  }

  subscribe(job: Job, listener: Listener): () => void {
    let set = this.#listeners.get(job);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(job, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Resolves once the job is COMPLETED. */
  completed(job: Job): Promise<Job> {
    if (job.state === "COMPLETED") return Promise.resolve(job);
    return new Promise((resolve) => {
      const list = this.#completedWaiters.get(job) ?? [];
      list.push(() => resolve(job));
      this.#completedWaiters.set(job, list);
    });
  }

  close(): void {
    this.#closed = true;
    for (const timers of this.#timers.values()) for (const t of timers) clearTimeout(t);
    this.#timers.clear();
    this.#listeners.clear();
  }

  #pump(): void {
    if (this.#closed) return;
    while (this.#active.size < this.concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift() as Job;
      this.#active.add(job);
      this.#timer(job, this.latency.startMs, () => this.#start(job));
    }
    // Everyone still waiting moved up (or not): let stream listeners decide.
    for (const job of this.#waiting) this.#notify(job);
  }

  #start(job: Job): void {
    if (job.state !== "IN_QUEUE") return;
    job.state = "IN_PROGRESS";
    job.startedAt = Date.now();
    this.#clearTimers(job);
    this.#log(job, "Loading model weights");
    this.#log(job, "Starting inference");
    this.#notify(job);
    if (this.latency.manual) return;
    const { runMs, progressSteps } = this.latency;
    for (let step = 1; step <= progressSteps; step++) {
      this.#timer(job, Math.floor((runMs * step) / (progressSteps + 1)), () => {
        this.#log(job, `Denoising: step ${step} of ${progressSteps}`);
        this.#notify(job);
      });
    }
    this.#timer(job, runMs, () => this.#complete(job));
  }

  #complete(job: Job): void {
    if (job.state !== "IN_PROGRESS") return;
    job.inferenceTime = Math.max(0.001, (Date.now() - (job.startedAt ?? Date.now())) / 1000);
    let outcome: JobOutcome;
    try {
      outcome = job.produce(job);
    } catch (error) {
      outcome = {
        failure: {
          status: 500,
          body: { detail: `Emulator failed to produce the output: ${(error as Error).message}`, error_type: "internal_server_error" },
          error: "Internal error.",
          errorType: "internal_server_error",
        },
      };
    }
    if ("output" in outcome) this.#log(job, "Inference finished");
    this.#end(job, outcome);
  }

  #end(job: Job, outcome: JobOutcome): void {
    if (job.state === "COMPLETED") return;
    const index = this.#waiting.indexOf(job);
    if (index >= 0) this.#waiting.splice(index, 1);
    const freed = this.#active.delete(job);
    this.#clearTimers(job);
    job.completedAt = Date.now();
    job.inferenceTime ??= job.startedAt === undefined ? 0 : Math.max(0.001, (job.completedAt - job.startedAt) / 1000);
    job.state = "COMPLETED";
    job.outcome = outcome;
    this.#notify(job);
    this.#listeners.delete(job);
    for (const resolve of this.#completedWaiters.get(job) ?? []) resolve();
    this.#completedWaiters.delete(job);
    this.#onComplete(job);
    if (freed || index >= 0) setImmediate(() => this.#pump());
  }

  #log(job: Job, message: string): void {
    job.logs.push({ message, level: "INFO", source: "user", timestamp: new Date().toISOString() });
  }

  #notify(job: Job): void {
    for (const listener of [...(this.#listeners.get(job) ?? [])]) listener(job);
  }

  #timer(job: Job, ms: number, fn: () => void): void {
    if (this.#closed) return;
    let set = this.#timers.get(job);
    if (set === undefined) {
      set = new Set();
      this.#timers.set(job, set);
    }
    const timer = setTimeout(() => {
      set.delete(timer);
      fn();
    }, ms);
    set.add(timer);
  }

  #clearTimers(job: Job): void {
    for (const t of this.#timers.get(job) ?? []) clearTimeout(t);
    this.#timers.delete(job);
  }
}
