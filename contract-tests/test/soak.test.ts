/**
 * 5. Soak: hundreds of jobs across every normalized endpoint, 50 at once, through one queue
 * client, with a fifth or more of all requests failing by a seeded fault (src/soak.ts). Bounded
 * in count (not time). Every job the emulator completed is delivered (by run, or by its signed
 * webhook after a submit whose outcome the client could not know), none is submitted twice,
 * every other job ends as a typed error carrying its request id whenever one exists, and
 * nothing rejects unhandled. The benchmark reports the same run's figures (bench/REPORT.md).
 */
import { describe, expect, it } from "vitest";
import { runSoak } from "../src/soak.js";

const JOBS = 300;
const IN_FLIGHT = 50;

describe(`soak: ${JOBS} jobs, ${IN_FLIGHT} in flight, seeded faults`, () => {
  it("every completed job delivered, none submitted twice, every other job a typed error with its request id", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const report = await runSoak({ jobs: JOBS, concurrency: IN_FLIGHT });
      console.log(
        `soak: ${report.jobs} jobs, ${report.requests} requests, ${report.failedByFault} failed by a fault (${((100 * report.failedByFault) / report.requests).toFixed(1)} %), ` +
          `${report.created} created, ${report.completedOnServer} completed → ${report.deliveredByRun} by run + ${report.deliveredByWebhook} by webhook, ` +
          `${report.failedOnServer} failed on the server, errors ${JSON.stringify(report.errors)}, ` +
          `${report.errorsWithTheirRequestId}/${report.errorsForCreatedJobs} errors for created jobs carry its id (${report.submitAnswerLost} submit answers lost)`,
      );
      expect(report.violations).toEqual([]);
      expect(report.untypedErrors).toBe(0);
      expect(report.duplicateSubmits).toEqual([]);
      // Delivered: every job the emulator completed.
      expect(report.deliveredByRun + report.deliveredByWebhook).toBe(report.completedOnServer);
      // The faults are real: a fifth of the requests or more, and most jobs still reach a result.
      expect(report.failedByFault / report.requests).toBeGreaterThanOrEqual(0.2);
      expect(report.deliveredByRun).toBeGreaterThan(JOBS / 2);
      // Errors for jobs that exist carry the id, except where the submit's answer never arrived.
      expect(report.errorsWithTheirRequestId + report.submitAnswerLost).toBe(report.errorsForCreatedJobs);
    } finally {
      // Rejections surface on a later turn: let them arrive before looking.
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
