/**
 * One codegen measurement in a fresh process (so "cold" means cold: nothing JIT-warmed, no
 * module caches), through the same function `pnpm generate` runs: a cold run into `root`, a
 * run with nothing changed (the up-to-date check), and a forced full re-plan with nothing
 * changed (what `check:generated` and `--force` pay).
 * Prints one JSON line: { coldMs, noChangeMs, replanMs, written, rewritten, files, endpoints }.
 */
import { performance } from "node:perf_hooks";
import { runPipeline } from "../../scripts/src/generate/run-pipeline.js";

const root = process.argv[2];
if (!root) throw new Error("usage: codegen-worker.ts <repo root>");
const t0 = performance.now();
const cold = await runPipeline(root, "generate");
const t1 = performance.now();
const again = await runPipeline(root, "generate");
const t2 = performance.now();
const forced = await runPipeline(root, "generate", { force: true });
const t3 = performance.now();
if (cold.upToDate || forced.upToDate) throw new Error("a cold or forced run cannot be up to date");
console.log(
  JSON.stringify({
    coldMs: t1 - t0,
    noChangeMs: t2 - t1,
    replanMs: t3 - t2,
    written: cold.changed.length,
    rewritten: again.upToDate ? 0 : again.changed.length + forced.changed.length,
    upToDate: again.upToDate,
    files: cold.plan.outputs.length,
    endpoints: cold.plan.normalized.endpoints.length,
  }),
);
