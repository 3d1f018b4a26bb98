/**
 * All pipeline outputs, computed in memory, then written together or compared with the tree.
 *
 * Writing is all-or-nothing: every file is first written beside its target as a temporary
 * file, and only when all of them are written are they renamed into place. A failure before
 * that leaves the tree exactly as it was.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { generateCatalog } from "./catalog-package.js";
import { generatePackage, mergePackageJson } from "./endpoint-package.js";
import { generateProviderTable, readProviders } from "./provider-table.js";
import type { JsonObject } from "../json.js";
import { normalize, type NormalizeResult } from "../normalize/normalize.js";
import { deprecationOutputs, findRemovedEndpoints, type RemovedEndpoint } from "../release/removed-endpoints.js";
import { readIfExists } from "../read-if-exists.js";

export interface PlannedOutput {
  path: string;
  content: string;
}

export interface OutputPlan {
  outputs: PlannedOutput[];
  normalized: NormalizeResult;
  /** Endpoints no source describes any more (their packages are deprecated, not deleted). */
  removed: RemovedEndpoint[];
  /** Generated files to delete: normalized specs nothing produces now (generate stage only). */
  removals: string[];
  /** Files scaffolded once and then left to people (they must exist, whatever they hold). */
  scaffolds: string[];
}

export async function planOutputs(root: string, stage: "normalize" | "generate" = "generate"): Promise<OutputPlan> {
  const normalized = await normalize(root);
  const outputs: PlannedOutput[] = normalized.endpoints.map((e) => ({ path: e.path, content: e.yaml }));
  const removed = await findRemovedEndpoints(root, new Set(normalized.endpoints.map((e) => e.names.slug)));
  if (stage === "normalize") return { outputs, normalized, removed, removals: [], scaffolds: [] };
  const scaffolds: string[] = [];
  const providers = await readProviders(root);
  const files = [
    ...(await Promise.all(normalized.endpoints.map((e) => generatePackage(e, providers)))).flat(),
    ...generateCatalog(normalized.endpoints),
    generateProviderTable(providers),
  ];
  for (const file of files) {
    const existing = await readIfExists(join(root, file.path));
    if (file.mode === "once") {
      scaffolds.push(file.path);
      if (existing === null) outputs.push({ path: file.path, content: file.content });
    } else if (file.mode === "merge") {
      let current: JsonObject | null = null;
      if (existing !== null) {
        try {
          current = JSON.parse(existing) as JsonObject;
        } catch (error) {
          throw new Error(`${file.path}: not valid JSON, so hand-added fields cannot be kept: ${(error as Error).message}`);
        }
        // The endpoint is described again: a deprecation from its removal no longer holds.
        delete current.deprecated;
      }
      const merged = mergePackageJson(current, JSON.parse(file.content) as JsonObject);
      outputs.push({ path: file.path, content: `${JSON.stringify(merged, null, 2)}\n` });
    } else outputs.push({ path: file.path, content: file.content });
  }
  outputs.push(...(await deprecationOutputs(root, removed)));
  const removals = removed.flatMap((r) => (r.specPath ? [r.specPath] : []));
  return { outputs, normalized, removed, removals, scaffolds };
}

/** Files whose content on disk differs from the plan (missing counts as different). */
export async function staleOutputs(root: string, outputs: PlannedOutput[]): Promise<string[]> {
  const stale: string[] = [];
  for (const output of outputs) {
    if ((await readIfExists(join(root, output.path))) !== output.content) stale.push(output.path);
  }
  return stale;
}

/**
 * Write what changed, all or nothing; then delete `removals` (generated files nothing produces
 * any more). Returns the paths written or deleted.
 */
export async function writeOutputs(root: string, outputs: PlannedOutput[], removals: readonly string[] = []): Promise<string[]> {
  const changed = await staleOutputs(root, outputs);
  const pending = outputs.filter((o) => changed.includes(o.path));
  const suffix = `.fluxkit-${randomBytes(4).toString("hex")}.tmp`;
  const temps: string[] = [];
  try {
    for (const output of pending) {
      const target = join(root, output.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target + suffix, output.content);
      temps.push(target + suffix);
    }
  } catch (error) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw error;
  }
  for (const output of pending) await rename(join(root, output.path) + suffix, join(root, output.path));
  const deleted: string[] = [];
  for (const path of removals) {
    if ((await readIfExists(join(root, path))) === null) continue;
    await rm(join(root, path));
    deleted.push(path);
  }
  return [...changed, ...deleted];
}
