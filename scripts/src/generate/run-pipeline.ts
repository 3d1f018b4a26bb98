/**
 * One normalize or generate run, as `pnpm normalize` / `pnpm generate` perform it: plan in
 * memory, write all or nothing, and (generate) skip the whole run when nothing changed since
 * the last one (see up-to-date.ts).
 */
import { writeOutputs } from "./outputs.js";
import { planRegeneration, type RegenerationPlan } from "./regenerate.js";
import { inputFingerprint, isUpToDate, recordRun } from "./up-to-date.js";

export type PipelineRun = { upToDate: true } | { upToDate: false; plan: RegenerationPlan; changed: string[] };

export async function runPipeline(root: string, stage: "normalize" | "generate", options: { force?: boolean } = {}): Promise<PipelineRun> {
  const fingerprint = stage === "generate" ? await inputFingerprint(root) : undefined;
  if (fingerprint !== undefined && !options.force && (await isUpToDate(root, fingerprint))) return { upToDate: true };
  const plan = await planRegeneration(root, stage);
  const changed = await writeOutputs(root, plan.outputs, plan.removals);
  if (fingerprint !== undefined) await recordRun(root, fingerprint, plan.generatedFiles, plan.removals);
  return { upToDate: false, plan, changed };
}
