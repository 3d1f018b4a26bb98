/** What the emulator counts (`emulator.stats()`): requests per route, jobs, refusals, duplicate submits, faults, webhooks. */
import { type FaultName, type RouteName, ROUTES } from "./faults.js";
import type { JobState } from "./queue-simulator.js";

export interface EmulatorStats {
  /** Requests per queue route, faulted ones included. */
  readonly requests: Record<RouteName, number>;
  readonly fileRequests: number;
  /** Submits answered 200 (a job was created, even if the answer was then lost or garbled). */
  readonly jobsCreated: number;
  /** Submits refused with 4xx (auth, validation) or by a fault before a job was created. */
  readonly submitsRefused: number;
  /**
   * Jobs per idempotency key: the `idempotency-key` / `x-idempotency-key` header when sent,
   * else a hash of endpoint + canonical body. A count above 1 is a job submitted twice.
   */
  readonly jobsByIdempotencyKey: Readonly<Record<string, number>>;
  readonly duplicateSubmits: readonly string[];
  readonly faultsInjected: Readonly<Partial<Record<FaultName, number>>>;
  readonly jobs: Readonly<Record<JobState, number>>;
  readonly webhooks: { readonly delivered: number; readonly failed: number };
}

type Counters = {
  -readonly [K in Exclude<keyof EmulatorStats, "jobs" | "webhooks" | "duplicateSubmits" | "jobsByIdempotencyKey" | "faultsInjected">]: EmulatorStats[K];
} & {
  jobsByIdempotencyKey: Record<string, number>;
  duplicateSubmits: string[];
  faultsInjected: Partial<Record<FaultName, number>>;
  webhooks: { delivered: number; failed: number };
};

/** The counters since the start or the last reset; job counts come from the queue when asked. */
export class StatsRecorder {
  #counters = emptyCounters();

  request(route: RouteName): void {
    this.#counters.requests[route]++;
  }

  fileRequest(): void {
    this.#counters.fileRequests++;
  }

  submitRefused(): void {
    this.#counters.submitsRefused++;
  }

  /** A job was created for a submit with this idempotency key; the second one for a key marks a duplicate. */
  jobCreated(idempotencyKey: string): void {
    const counters = this.#counters;
    const count = (counters.jobsByIdempotencyKey[idempotencyKey] ?? 0) + 1;
    counters.jobsByIdempotencyKey[idempotencyKey] = count;
    if (count === 2) counters.duplicateSubmits.push(idempotencyKey);
    counters.jobsCreated++;
  }

  faultInjected(name: FaultName): void {
    this.#counters.faultsInjected[name] = (this.#counters.faultsInjected[name] ?? 0) + 1;
  }

  webhook(delivered: boolean): void {
    if (delivered) this.#counters.webhooks.delivered++;
    else this.#counters.webhooks.failed++;
  }

  /** The counters, with the jobs of the queue counted by state. */
  snapshot(jobs: Iterable<{ readonly state: JobState }>): EmulatorStats {
    const counts: Record<JobState, number> = { IN_QUEUE: 0, IN_PROGRESS: 0, COMPLETED: 0 };
    for (const job of jobs) counts[job.state]++;
    return { ...structuredClone(this.#counters), jobs: counts };
  }

  reset(): void {
    this.#counters = emptyCounters();
  }
}

function emptyCounters(): Counters {
  return {
    requests: Object.fromEntries(ROUTES.map((r) => [r, 0])) as Record<RouteName, number>,
    fileRequests: 0,
    jobsCreated: 0,
    submitsRefused: 0,
    jobsByIdempotencyKey: {},
    duplicateSubmits: [],
    faultsInjected: {},
    webhooks: { delivered: 0, failed: 0 },
  };
}
