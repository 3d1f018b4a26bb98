import { join } from "node:path";
import { sortChanges, type Bump, type SpecChange } from "./classify.js";
import { compareEndpoint, type EndpointComparison } from "./endpoint-comparison.js";
import { formatComparison } from "./report.js";
import type { NormalizedEndpoint } from "../normalize/normalize.js";
import type { PlannedOutput } from "../generate/outputs.js";
import { deprecationMessage, type RemovedEndpoint } from "./removed-endpoints.js";
import { sha256 } from "../normalize/sources.js";
import { readIfExists } from "../read-if-exists.js";

export interface EndpointRegeneration extends EndpointComparison {
  /** The changeset to write, when the bump is not "none". */
  readonly changeset: PlannedOutput | null;
}

export function changesetPath(slug: string, hashOf: string, removed = false): string {
  return `.changeset/${slug}-${removed ? "removed-" : ""}${sha256(hashOf).slice(0, 8)}.md`;
}

export function renderChangeset(packageName: string, bump: Exclude<Bump, "none">, summary: string, changes: readonly SpecChange[]): string {
  const lines = sortChanges(changes.filter((c) => c.bump !== "none")).map((c) => `- ${c.bump}: \`${c.path}\`: ${c.message}`);
  return `---\n${JSON.stringify(packageName)}: ${bump}\n---\n\n${summary}\n${lines.length > 0 ? `\n${lines.join("\n")}\n` : ""}`;
}

function regeneration(endpoint: NormalizedEndpoint, beforeYaml: string | null): EndpointRegeneration {
  const compared = compareEndpoint(endpoint.names, beforeYaml === null ? null : { label: endpoint.path, yaml: beforeYaml }, {
    label: endpoint.path,
    yaml: endpoint.yaml,
  });
  const { id, slug, packageName } = endpoint.names;
  if (compared.bump === "none") return { ...compared, changeset: null };
  const summary =
    compared.status === "new"
      ? `New package for fal's \`${id}\` endpoint, generated from \`${endpoint.path}\` (sources: ${endpoint.sources.map((s) => `\`${s}\``).join(", ")}).`
      : `The \`${id}\` endpoint changed upstream; regenerated from \`${endpoint.path}\`.`;
  const content = renderChangeset(packageName, compared.bump, summary, compared.status === "new" ? [] : compared.changes);
  return { ...compared, changeset: { path: changesetPath(slug, endpoint.yaml), content } };
}

function removal(item: RemovedEndpoint): EndpointRegeneration {
  const compared = compareEndpoint(item, null, null);
  // Nothing to version when no package was ever generated.
  if (item.packageDir === null) return { ...compared, bump: "none", changeset: null };
  const summary = `Deprecated. ${deprecationMessage(item.id)} Use another endpoint package instead; this one keeps working against the old route for as long as the vendors serve it.`;
  const content = renderChangeset(item.packageName, "major", summary, []);
  return { ...compared, bump: "major", changeset: { path: changesetPath(item.slug, item.specYaml ?? item.lastSpecHash ?? item.slug, true), content } };
}

/** One entry per endpoint: live ones compared with their spec on disk, then the removed ones. */
export async function planChangesets(
  root: string,
  endpoints: readonly NormalizedEndpoint[],
  removed: readonly RemovedEndpoint[],
): Promise<EndpointRegeneration[]> {
  const planned: EndpointRegeneration[] = [];
  for (const endpoint of endpoints) {
    planned.push(regeneration(endpoint, await readIfExists(join(root, endpoint.path))));
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
    const removal = item.changeset ? "package kept and marked deprecated, major bump" : "no package was generated, nothing to deprecate";
    lines.push(...formatComparison(item, { removal }));
    if (item.changeset) lines.push(`  changeset ${item.changeset.path}`);
    // A package the workspace has not seen yet is only linked (and buildable) after an install.
    if (item.status === "new") lines.push(`  new workspace package packages/${item.slug}: run \`pnpm install\` to link it before building`);
  }
  return lines;
}
