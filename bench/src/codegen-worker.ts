/**
 * One codegen measurement in a fresh process (so "cold" means cold: nothing JIT-warmed, no
 * module caches): plan + write into `root`, then again with nothing changed.
 * Prints one JSON line: { coldMs, noChangeMs, written, rewritten, files, endpoints }.
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type * as Outputs from "../../scripts/src/outputs.js";

// argv[3]: another copy of scripts/src (a proposed fix measured on a patched copy).
const root = process.argv[2];
if (!root) throw new Error("usage: codegen-worker.ts <repo root> [scripts/src dir]");
const outputsModule = process.argv[3] ? pathToFileURL(`${process.argv[3]}/outputs.ts`).href : "../../scripts/src/outputs.js";
const { planOutputs, writeOutputs } = (await import(outputsModule)) as typeof Outputs;
const t0 = performance.now();
const plan = await planOutputs(root);
const tPlan = performance.now();
const written = await writeOutputs(root, plan.outputs, plan.removals);
const t1 = performance.now();
const again = await planOutputs(root);
const rewritten = await writeOutputs(root, again.outputs, again.removals);
const t2 = performance.now();
console.log(
  JSON.stringify({
    coldMs: t1 - t0,
    coldPlanMs: tPlan - t0,
    coldWriteMs: t1 - tPlan,
    noChangeMs: t2 - t1,
    written: written.length,
    rewritten: rewritten.length,
    files: plan.outputs.length,
    endpoints: plan.normalized.endpoints.length,
  }),
);
