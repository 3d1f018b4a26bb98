/**
 * The soak: hundreds of jobs across every normalized endpoint, many at once, through one queue
 * client, against the emulator injecting faults at seeded rates on submit, status, stream and
 * result (a fifth of all requests or more fail by a fault). Shared by the contract test (which
 * asserts) and the benchmark (which reports the figures).
 *
 * Every job is submitted with a webhook, as an app that must not lose paid work would: when
 * a submit's outcome is unknown (`jobMayExist`), the signed delivery is how the result still
 * arrives. The emulator's own records say which jobs it created and completed; each is checked
 * against what the client said:
 *
 * - a job the emulator completed is delivered: by `run` (its result, the same output), or,
 *   after an ambiguous submit, by its verified webhook;
 * - no job is submitted twice;
 * - every other job ends as a typed error that carries its request id whenever one exists
 *   (the only exception: a submit whose answer never reached the client, which says so with
 *   `jobMayExist`).
 */
import { isDeepStrictEqual } from "node:util";
import { createEmulator, type FaultRule, type ProviderName, parseFaultRule } from "@fluxkit/emulator";
import { createWebhookVerifier, FluxkitError, type JobResult } from "@fluxkit/queue";
import { runPool } from "./job-pool.js";
import { type FluxEndpoint, type FluxOutput, jobInput, loadEndpointDefinition, providerModes, queueClientFor, until } from "./lifecycle-harness.js";
import { loadEndpoints } from "./spec-catalog.js";
import { startWebhookReceiver } from "./webhook-receiver.js";

/**
 * Seeded rates, in the emulator's `--fault` form (`route:name[=param]@rate`; the param is
 * Retry-After seconds for 429/503, the delay in ms for slow). Failing faults add up to a quarter or more of the requests of each route; a
 * job meets several. Not injected on the result route: a non-retryable 500, which is how fal
 * reports a job that failed (a client must believe it), and 504-user likewise.
 */
export const SOAK_FAULTS: readonly FaultRule[] = [
  "submit:429=0@0.07 submit:503=0@0.06 submit:502@0.03 submit:500@0.02 submit:drop@0.03 submit:lost-response@0.02 submit:malformed-json@0.02",
  "submit:job-error-422@0.02 submit:job-error-500@0.02 submit:result-422@0.02",
  "status:429=0@0.04 status:503=0@0.06 status:502@0.06 status:504@0.04 status:500@0.04 status:drop@0.02 status:lost-response@0.01",
  "status:malformed-json@0.02 status:slow=15@0.02",
  "stream:broken-stream@0.12 stream:502@0.05 stream:500@0.03 stream:drop@0.05",
  "result:429=0@0.03 result:502@0.06 result:503=0@0.06 result:504@0.04 result:drop@0.03 result:lost-response@0.03 result:malformed-json@0.02",
  "result:slow=15@0.02",
].flatMap((line) => line.split(" ").map((rule) => parseFaultRule(rule, "SOAK_FAULTS")));

/** Faults that slow a request down without failing it. */
const HARMLESS = new Set(["slow", "job-error-422", "job-error-500", "result-422"]);

export interface SoakOptions {
  readonly jobs: number;
  readonly concurrency: number;
  readonly seed?: number;
  /** Each job's `timeout` (ms). */
  readonly timeoutMs?: number;
  readonly faults?: readonly FaultRule[];
}

export interface SoakReport {
  readonly jobs: number;
  readonly concurrency: number;
  readonly provider: ProviderName;
  readonly requests: number;
  /** Requests answered with a failure by a fault (slow answers and job faults not counted). */
  readonly failedByFault: number;
  readonly faultsInjected: Readonly<Record<string, number>>;
  /** Jobs the emulator created, completed with an output, and failed (job faults, cancels). */
  readonly created: number;
  readonly completedOnServer: number;
  readonly failedOnServer: number;
  readonly deliveredByRun: number;
  /** Completed jobs whose submit outcome the client could not know, delivered by their webhook. */
  readonly deliveredByWebhook: number;
  /** Client errors by class. */
  readonly errors: Readonly<Record<string, number>>;
  /** Errors for jobs the server created, and how many of those carried its request id. */
  readonly errorsForCreatedJobs: number;
  readonly errorsWithTheirRequestId: number;
  /** Created jobs whose submit answer never reached the client: told `jobMayExist`, found by webhook. */
  readonly submitAnswerLost: number;
  readonly duplicateSubmits: readonly string[];
  readonly untypedErrors: number;
  /** Every broken promise, one line each; empty when the soak passed. */
  readonly violations: readonly string[];
  /** Submit to result, jobs delivered by `run` (ms). */
  readonly runMs: readonly number[];
  readonly wallMs: number;
}

type Outcome =
  | { readonly key: string; readonly ok: true; readonly result: JobResult<FluxOutput>; readonly ms: number }
  | { readonly key: string; readonly ok: false; readonly error: unknown };

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const specs = loadEndpoints();
  // A provider every spec lists, if there is one (a gateway's queue.fal.run URLs get exercised).
  const lists = specs.map(providerModes);
  const provider: ProviderName = lists[0]?.find((p) => lists.every((l) => l.includes(p))) ?? "fal";
  const emulator = await createEmulator({
    provider,
    // Specs that do not list this provider are served too, so the soak covers every endpoint.
    allEndpoints: true,
    latency: { startMs: 0, runMs: 5, progressSteps: 1, manual: false },
    concurrency: 16,
    seed: options.seed ?? 20240611,
    faults: options.faults ?? SOAK_FAULTS,
  });
  const receiver = await startWebhookReceiver();
  const started = performance.now();
  try {
    const definitions: FluxEndpoint[] = await Promise.all(specs.map(loadEndpointDefinition));
    const queue = queueClientFor(emulator);
    const outcomes = await runPool(options.jobs, options.concurrency, async (index): Promise<Outcome> => {
      const spec = specs[index % specs.length]!;
      const definition = definitions[index % definitions.length]!;
      // The key lets the emulator count submits per job exactly, and names the job's webhook.
      const key = `soak-${index}`;
      const t0 = performance.now();
      try {
        const result = await queue.run(definition, jobInput(spec, definition, `soak job ${index} on ${spec.slug}`), {
          mode: index % 2 === 0 ? "polling" : "streaming",
          timeout: options.timeoutMs ?? 30_000,
          headers: { "idempotency-key": key },
          webhookUrl: `${receiver.url}/hook/${key}`,
        });
        return { key, ok: true, result, ms: performance.now() - t0 };
      } catch (error) {
        return { key, ok: false, error };
      }
    });

    // Jobs whose client gave up still finish on the server, and every finished job is delivered.
    await until(() => emulator.stats().jobs.IN_QUEUE + emulator.stats().jobs.IN_PROGRESS === 0, "every server job completes");
    await until(() => emulator.webhookDeliveries().length >= emulator.stats().jobsCreated, "every webhook is delivered");
    const stats = emulator.stats();
    const verifier = createWebhookVerifier({ jwksUrl: emulator.jwksUrl });
    const serverIdByKey = new Map(emulator.webhookDeliveries().map((d) => [d.url.split("/").pop() ?? "", d.requestId]));

    const violations: string[] = [];
    const errors: Record<string, number> = {};
    let completedOnServer = 0;
    let failedOnServer = 0;
    let deliveredByRun = 0;
    let deliveredByWebhook = 0;
    let errorsForCreatedJobs = 0;
    let errorsWithTheirRequestId = 0;
    let submitAnswerLost = 0;
    let untypedErrors = 0;
    for (const o of outcomes) {
      if (!o.ok) {
        const name = o.error instanceof FluxkitError ? o.error.name : "untyped";
        errors[name] = (errors[name] ?? 0) + 1;
        if (!(o.error instanceof FluxkitError)) {
          untypedErrors++;
          violations.push(`${o.key}: an untyped error: ${String(o.error)}`);
          continue;
        }
      }
      const serverId = serverIdByKey.get(o.key);
      if ((stats.jobsByIdempotencyKey[o.key] ?? 0) > 0 && serverId === undefined) violations.push(`${o.key}: created, but no webhook was delivered`);
      if (serverId === undefined) {
        if (o.ok) violations.push(`${o.key}: a result for a job the server never created`);
        continue;
      }
      const job = emulator.job(serverId);
      const output = job?.output;
      const error = o.ok ? undefined : (o.error as FluxkitError);
      if (job?.state === "COMPLETED" && output !== undefined && !job.cancelled) {
        completedOnServer++;
        if (o.ok) {
          if (o.result.requestId !== serverId || !isDeepStrictEqual(o.result.data, output)) violations.push(`${o.key}: run delivered another job's output`);
          else deliveredByRun++;
          continue;
        }
        if (error?.jobMayExist !== true) {
          violations.push(
            `${o.key}: completed on the server (${serverId}), but the client failed without saying the job may exist: ${error?.name}: ${error?.message}`,
          );
          continue;
        }
        if (error.requestId !== undefined && error.requestId !== serverId)
          violations.push(`${o.key}: the error names ${error.requestId}, the job is ${serverId}`);
        const hook = receiver.received.find((r) => r.path === `/hook/${o.key}`);
        const delivery = hook === undefined ? undefined : await verifier.verify({ headers: hook.headers, body: hook.body }).catch(() => undefined);
        if (delivery?.status !== "OK" || !isDeepStrictEqual(delivery.payload, output)) violations.push(`${o.key}: no verified webhook with the output`);
        else deliveredByWebhook++;
        if (error.requestId === undefined) submitAnswerLost++;
        errorsForCreatedJobs++;
        if (error.requestId === serverId) errorsWithTheirRequestId++;
        continue;
      }
      failedOnServer++;
      if (o.ok) {
        violations.push(`${o.key}: a result for a job the server failed`);
        continue;
      }
      errorsForCreatedJobs++;
      if (error?.requestId === serverId) errorsWithTheirRequestId++;
      else if (error?.requestId === undefined && error?.jobMayExist === true) submitAnswerLost++;
      else violations.push(`${o.key}: failed on the server as ${serverId}, but the error carries ${String(error?.requestId)} (${error?.name})`);
    }
    if (stats.duplicateSubmits.length > 0) violations.push(`submitted twice: ${stats.duplicateSubmits.join(", ")}`);
    if (Object.values(stats.jobsByIdempotencyKey).some((n) => n > 1)) violations.push("a key has more than one job");

    const faultsInjected = stats.faultsInjected as Record<string, number>;
    return {
      jobs: options.jobs,
      concurrency: options.concurrency,
      provider,
      requests: Object.values(stats.requests).reduce((s, n) => s + n, 0),
      failedByFault: Object.entries(faultsInjected).reduce((s, [name, n]) => s + (HARMLESS.has(name) ? 0 : n), 0),
      faultsInjected,
      created: stats.jobsCreated,
      completedOnServer,
      failedOnServer,
      deliveredByRun,
      deliveredByWebhook,
      errors,
      errorsForCreatedJobs,
      errorsWithTheirRequestId,
      submitAnswerLost,
      duplicateSubmits: stats.duplicateSubmits,
      untypedErrors,
      violations,
      runMs: outcomes.flatMap((o) => (o.ok ? [o.ms] : [])),
      wallMs: performance.now() - started,
    };
  } finally {
    await receiver.close();
    await emulator.close();
  }
}
