import { join } from "node:path";
import { parse } from "yaml";
import { classifyEndpoint, highestBump, sortChanges, type Bump, type SpecChange } from "./classify.js";
import { isObject, type JsonObject } from "../json.js";
import type { NormalizedEndpoint } from "../normalize/normalize.js";
import type { PlannedOutput } from "../generate/outputs.js";
import { deprecationMessage, type RemovedEndpoint } from "./removed-endpoints.js";
import { sha256 } from "../normalize/sources.js";
import { readIfExists } from "../read-if-exists.js";

export type EndpointStatus = "new" | "changed" | "unchanged" | "removed";

export interface EndpointRegeneration {
  id: string;
  slug: string;
  packageName: string;
  status: EndpointStatus;
  changes: SpecChange[];
  bump: Bump;
  /** The changeset to write, when the bump is not "none". */
  changeset: PlannedOutput | null;
}

export function parseNormalizedSpec(file: string, text: string): JsonObject {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new Error(`${file}: does not parse (${(error as Error).message.split("\n")[0]}); restore it with \`git checkout -- ${file}\` and run again`);
  }
  if (!isObject(value)) throw new Error(`${file}: expected an OpenAPI document; restore it with \`git checkout -- ${file}\``);
  return value;
}

export function changesetPath(slug: string, hashOf: string, removed = false): string {
  return `.changeset/${slug}-${removed ? "removed-" : ""}${sha256(hashOf).slice(0, 8)}.md`;
}

export function renderChangeset(packageName: string, bump: Exclude<Bump, "none">, summary: string, changes: readonly SpecChange[]): string {
  const lines = sortChanges(changes.filter((c) => c.bump !== "none")).map((c) => `- ${c.bump}: \`${c.path}\`: ${c.message}`);
  return `---\n${JSON.stringify(packageName)}: ${bump}\n---\n\n${summary}\n${lines.length > 0 ? `\n${lines.join("\n")}\n` : ""}`;
}

function regeneration(endpoint: NormalizedEndpoint, before: JsonObject | null, beforeYaml: string | null): EndpointRegeneration {
  const { id, slug, packageName } = endpoint.names;
  if (beforeYaml === endpoint.yaml) return { id, slug, packageName, status: "unchanged", changes: [], bump: "none", changeset: null };
  const changes = classifyEndpoint(id, before, endpoint.doc);
  const bump = highestBump(changes);
  const status: EndpointStatus = before === null ? "new" : "changed";
  if (bump === "none") return { id, slug, packageName, status, changes, bump, changeset: null };
  const summary =
    status === "new"
      ? `New package for fal's \`${id}\` endpoint, generated from \`${endpoint.path}\` (sources: ${endpoint.sources.map((s) => `\`${s}\``).join(", ")}).`
      : `The \`${id}\` endpoint changed upstream; regenerated from \`${endpoint.path}\`.`;
  const content = renderChangeset(packageName, bump, summary, status === "new" ? [] : changes);
  return { id, slug, packageName, status, changes, bump, changeset: { path: changesetPath(slug, endpoint.yaml), content } };
}

function removal(item: RemovedEndpoint): EndpointRegeneration {
  const changes = classifyEndpoint(item.id, {}, null);
  const base = { id: item.id, slug: item.slug, packageName: item.packageName, status: "removed" as const, changes };
  // Nothing to version when no package was ever generated.
  if (item.packageDir === null) return { ...base, bump: "none", changeset: null };
  const summary = `Deprecated. ${deprecationMessage(item.id)} Use another endpoint package instead; this one keeps working against the old route for as long as the vendors serve it.`;
  const content = renderChangeset(item.packageName, "major", summary, []);
  return { ...base, bump: "major", changeset: { path: changesetPath(item.slug, item.specYaml ?? item.lastSpecHash ?? item.slug, true), content } };
}

/** One entry per endpoint: live ones compared with their spec on disk, then the removed ones. */
export async function planChangesets(
  root: string,
  endpoints: readonly NormalizedEndpoint[],
  removed: readonly RemovedEndpoint[],
): Promise<EndpointRegeneration[]> {
  const planned: EndpointRegeneration[] = [];
  for (const endpoint of endpoints) {
    const beforeYaml = await readIfExists(join(root, endpoint.path));
    const before = beforeYaml === null ? null : parseNormalizedSpec(endpoint.path, beforeYaml);
    planned.push(regeneration(endpoint, before, beforeYaml));
  }
  // A package an earlier run deprecated is done with: nothing to report or version again.
  for (const item of removed) if (!item.alreadyDeprecated) planned.push(removal(item));
  return planned;
}

/** Human report lines: one block per endpoint that is new, changed or removed. */
export function formatRegenerationReport(planned: readonly EndpointRegeneration[]): string[] {
  const lines: string[] = [];
  for (const item of planned) {
    if (item.status === "unchanged") continue;
    const head = `${item.id} (${item.packageName}): ${item.status}`;
    if (item.status === "removed") {
      lines.push(`${head}; ${item.changeset ? "package kept and marked deprecated, major bump" : "no package was generated, nothing to deprecate"}`);
    } else lines.push(`${head}, ${item.bump === "none" ? "no version bump (nothing users can notice)" : `${item.bump} bump`}`);
    if (item.status === "changed") for (const change of item.changes) lines.push(`  ${change.bump.padEnd(5)}  ${change.path}: ${change.message}`);
    if (item.changeset) lines.push(`  changeset ${item.changeset.path}`);
    // A package the workspace has not seen yet is only linked (and buildable) after an install.
    if (item.status === "new") lines.push(`  new workspace package packages/${item.slug}: run \`pnpm install\` to link it before building`);
  }
  return lines;
}
