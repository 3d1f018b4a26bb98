/**
 * 5. Soak: hundreds of jobs across every normalized endpoint, many at once, through one queue
 * client, with faults injected at seeded rates on submit, status, stream and result. Bounded in
 * count (not time). Every job ends in a result or a typed FluxkitError, none is lost, none is
 * submitted twice, and nothing rejects unhandled.
 */
import { createEmulator, type Emulator, type FaultRule, type ProviderName } from "@fluxkit/emulator";
import { FluxkitError, type JobResult } from "@fluxkit/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPool } from "../src/job-pool.js";
import {
  type FluxEndpoint,
  type FluxOutput,
  jobInput,
  loadEndpointDefinition,
  providerModes,
  queueClientFor,
  resultProblems,
  until,
} from "../src/lifecycle-harness.js";
import { loadEndpoints } from "../src/spec-catalog.js";

const JOBS = 300;
const IN_FLIGHT = 50;

/** Seeded rates: roughly one request in five meets a fault somewhere in its life. */
const SOAK_FAULTS: readonly FaultRule[] = [
  { fault: "429", route: "submit", rate: 0.04, retryAfterSeconds: 0 },
  { fault: "503", route: "submit", rate: 0.03, retryAfterSeconds: 0 },
  { fault: "502", route: "submit", rate: 0.01 },
  { fault: "drop", route: "submit", rate: 0.01 },
  { fault: "lost-response", route: "submit", rate: 0.01 },
  { fault: "malformed-json", route: "submit", rate: 0.01 },
  { fault: "job-error-422", route: "submit", rate: 0.02 },
  { fault: "job-error-500", route: "submit", rate: 0.02 },
  { fault: "result-422", route: "submit", rate: 0.02 },
  { fault: "429", route: "status", rate: 0.03, retryAfterSeconds: 0 },
  { fault: "503", route: "status", rate: 0.03, retryAfterSeconds: 0 },
  { fault: "502", route: "status", rate: 0.02 },
  { fault: "504", route: "status", rate: 0.02 },
  { fault: "drop", route: "status", rate: 0.02 },
  { fault: "slow", route: "status", rate: 0.03, delayMs: 15 },
  { fault: "500", route: "status", rate: 0.005 },
  { fault: "broken-stream", route: "stream", rate: 0.1 },
  { fault: "502", route: "stream", rate: 0.03 },
  { fault: "drop", route: "stream", rate: 0.03 },
  { fault: "502", route: "result", rate: 0.03 },
  { fault: "503", route: "result", rate: 0.03, retryAfterSeconds: 0 },
  { fault: "drop", route: "result", rate: 0.02 },
  { fault: "lost-response", route: "result", rate: 0.02 },
  { fault: "slow", route: "result", rate: 0.03, delayMs: 15 },
];

type JobOutcome =
  | { readonly index: number; readonly key: string; readonly ok: true; readonly result: JobResult<FluxOutput> }
  | { readonly index: number; readonly key: string; readonly ok: false; readonly error: unknown };

const specs = loadEndpoints();
/** A provider every spec lists, if there is one (the gateways' queue.fal.run URLs get exercised when it is a gateway). */
const provider: ProviderName = (() => {
  const lists = specs.map(providerModes);
  return lists[0]?.find((p) => lists.every((l) => l.includes(p))) ?? "fal";
})();

describe(`soak: ${JOBS} jobs, ${IN_FLIGHT} in flight, seeded faults (provider ${provider})`, () => {
  let emulator: Emulator;
  let definitions: FluxEndpoint[];
  beforeAll(async () => {
    emulator = await createEmulator({
      provider,
      // Specs that do not list this provider are served too, so the soak covers every endpoint.
      allEndpoints: true,
      latency: { startMs: 0, runMs: 5, progressSteps: 1, manual: false },
      concurrency: 16,
      seed: 20240611,
      faults: SOAK_FAULTS,
    });
    definitions = await Promise.all(specs.map(loadEndpointDefinition));
  });
  afterAll(() => emulator?.close());

  it("every job ends in a result or a typed error; none lost, none submitted twice, no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const queue = queueClientFor(emulator);
      const outcomes = await runPool(JOBS, IN_FLIGHT, async (index): Promise<JobOutcome> => {
        const spec = specs[index % specs.length]!;
        const definition = definitions[index % definitions.length]!;
        // The key lets the emulator count submits per job exactly; the prompt keeps bodies distinct too.
        const key = `soak-${index}`;
        try {
          const result = await queue.run(definition, jobInput(spec, definition, `soak job ${index} on ${spec.slug}`), {
            mode: index % 2 === 0 ? "polling" : "streaming",
            timeout: 20_000,
            headers: { "idempotency-key": key },
          });
          return { index, key, ok: true, result };
        } catch (error) {
          return { index, key, ok: false, error };
        }
      });

      // None lost: one outcome per job, each a result or a typed error.
      expect(outcomes).toHaveLength(JOBS);
      expect(outcomes.map((o) => o.index)).toEqual(Array.from({ length: JOBS }, (_, i) => i));
      const untyped = outcomes.filter((o) => !o.ok && !(o.error instanceof FluxkitError));
      expect(untyped.map((o) => (o.ok ? "" : String(o.error)))).toEqual([]);

      // None submitted twice, and the emulator's count of jobs matches the clients' view.
      const stats = emulator.stats();
      expect(stats.duplicateSubmits).toEqual([]);
      const created = outcomes.filter((o) => (stats.jobsByIdempotencyKey[o.key] ?? 0) > 0);
      expect(Object.values(stats.jobsByIdempotencyKey).every((n) => n === 1)).toBe(true);
      expect(Object.keys(stats.jobsByIdempotencyKey).every((k) => k.startsWith("soak-"))).toBe(true);
      expect(stats.jobsCreated).toBe(created.length);
      // A job known by id (a result, or an error after the submit) exists on the server, once.
      for (const o of outcomes) {
        const requestId = o.ok ? o.result.requestId : o.error instanceof FluxkitError ? o.error.requestId : undefined;
        if (requestId !== undefined && emulator.job(requestId) !== undefined) expect(stats.jobsByIdempotencyKey[o.key], o.key).toBe(1);
      }

      // Results are real: schema-valid outputs with decodable images.
      const results = outcomes.filter((o): o is Extract<JobOutcome, { ok: true }> => o.ok);
      for (const o of results) {
        expect(await resultProblems(specs[o.index % specs.length]!, emulator, o.result.data), o.key).toEqual([]);
        expect(emulator.job(o.result.requestId)?.output).toEqual(o.result.data);
      }

      // Jobs whose client gave up still finish on the server: nothing is stuck.
      await until(() => emulator.stats().jobs.IN_QUEUE + emulator.stats().jobs.IN_PROGRESS === 0, "every server job completes");

      const byClass = new Map<string, number>();
      for (const o of outcomes) {
        const name = o.ok ? "result" : (o.error as FluxkitError).name;
        byClass.set(name, (byClass.get(name) ?? 0) + 1);
      }
      console.log(
        `soak: ${JOBS} jobs, ${stats.jobsCreated} created, faults ${JSON.stringify(stats.faultsInjected)}, outcomes ${JSON.stringify(Object.fromEntries(byClass))}`,
      );
      // The faults are mostly transient: most jobs must still reach a result.
      expect(results.length).toBeGreaterThan(JOBS / 2);
      expect(Object.values(stats.faultsInjected).reduce((s, n) => s + (n ?? 0), 0)).toBeGreaterThan(JOBS / 10);
    } finally {
      // Rejections surface on a later turn: let them arrive before looking.
      await new Promise((resolve) => setImmediate(resolve));
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
