/**
 * One regeneration, planned in memory: the pipeline's outputs, the changesets they call for
 * and the stale normalized specs to delete. Written together by `writeOutputs`, or not at all.
 */
import { planChangesets, type EndpointRegeneration } from "../release/changesets.js";
import type { NormalizeResult } from "../normalize/normalize.js";
import { planOutputs, type PlannedOutput } from "./outputs.js";
import type { RemovedEndpoint } from "../release/removed-endpoints.js";

export interface RegenerationPlan {
  /** Pipeline outputs followed by the changesets. */
  outputs: PlannedOutput[];
  removals: string[];
  normalized: NormalizeResult;
  endpoints: EndpointRegeneration[];
  /** Endpoints no source describes any more (in the normalize stage: left for generate). */
  removed: RemovedEndpoint[];
  /** The pipeline's own files (changesets excluded) and scaffolds, for the up-to-date record. */
  generatedFiles: string[];
}

/**
 * `normalize` moves specs/normalized forward, so it records changesets too (a later `generate`
 * then finds nothing new and must not lose them). Removed endpoints are handled by `generate`
 * only: that is where their packages are deprecated.
 */
export async function planRegeneration(root: string, stage: "normalize" | "generate"): Promise<RegenerationPlan> {
  const plan = await planOutputs(root, stage);
  const endpoints = await planChangesets(root, plan.normalized.endpoints, stage === "generate" ? plan.removed : []);
  const changesets = endpoints.flatMap((e) => (e.changeset ? [e.changeset] : []));
  return {
    outputs: [...plan.outputs, ...changesets],
    removals: plan.removals,
    normalized: plan.normalized,
    endpoints,
    removed: plan.removed,
    generatedFiles: [...plan.outputs.map((o) => o.path), ...plan.scaffolds],
  };
}
