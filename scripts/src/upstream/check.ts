/**
 * `pnpm specs:upstream`: every endpoint fal knows, our normalized Input and Output against
 * fal's own schemas — the pinned `@fal-ai/client` type map, and any fal queue OpenAPI stored
 * as a source (specs/sources/<provider>/*.fal-openapi.json, which also states ranges).
 *
 * Fails on a difference no overlay action declares (`x-fluxkit-upstream-deviation`), on a
 * declaration that no longer matches a difference, and when the type map's facts differ from
 * the snapshot recorded with the overlays (the pin moved: the report names what moved).
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { isObject } from "../json.js";
import { type DeclaredDeviation, normalize } from "../normalize/normalize.js";
import { loadSources } from "../normalize/sources.js";
import { applyDeviations, compareFacts, type Difference, formatTable } from "./compare.js";
import { type FactsByField, flatten, type UpstreamDocument } from "./facts.js";
import { falOpenApiUpstream } from "./fal-openapi.js";
import { installedTypeMap, readTypeMap, TYPE_MAP_PACKAGE, typeMapDocument } from "./fal-type-map.js";
import { type MovedFact, movedFacts, readSnapshot, renderSnapshot, SNAPSHOT_FILE } from "./snapshot.js";

export interface UpstreamCheckOptions {
  /** The type map to read (default: the installed, pinned @fal-ai/client). */
  typeMap?: { file: string; version: string };
  /** Record the type map's facts as the new snapshot (after the overlays were reconciled). */
  update?: boolean;
}

export interface UpstreamCheckReport {
  typeMapVersion: string;
  /** Per endpoint: the upstream forms it was compared with (none: fal lists no schema for it). */
  endpoints: { id: string; forms: string[]; fields: number }[];
  differences: Difference[];
  stale: (DeclaredDeviation & { endpoint: string })[];
  guesses: { endpoint: string; file: string; action: number; target: string; reason: string }[];
  snapshot: { recorded: string | null; moved: MovedFact[]; written: boolean };
  ok: boolean;
}

async function falOpenApiForms(root: string): Promise<Map<string, UpstreamDocument[]>> {
  const forms = new Map<string, UpstreamDocument[]>();
  for (const source of (await loadSources(root)).filter((s) => s.format === "fal-openapi")) {
    const doc: unknown = parse(source.content);
    if (!isObject(doc)) continue;
    const { id, upstream } = falOpenApiUpstream(source.file, doc);
    forms.set(id, [...(forms.get(id) ?? []), upstream]);
  }
  return forms;
}

export async function runUpstreamCheck(root: string, options: UpstreamCheckOptions = {}): Promise<UpstreamCheckReport> {
  const { endpoints } = await normalize(root);
  const where = options.typeMap ?? (await installedTypeMap());
  const typeMap = await readTypeMap(where.file, where.version);
  const openapiForms = await falOpenApiForms(root);

  const live: Record<string, FactsByField> = {};
  const report: UpstreamCheckReport = {
    typeMapVersion: where.version,
    endpoints: [],
    differences: [],
    stale: [],
    guesses: [],
    snapshot: { recorded: null, moved: [], written: false },
    ok: false,
  };
  for (const endpoint of endpoints) {
    const id = endpoint.names.id;
    const forms: UpstreamDocument[] = [];
    const fromTypeMap = typeMapDocument(typeMap, id);
    if (fromTypeMap) {
      forms.push(fromTypeMap);
      live[id] = flatten(fromTypeMap.doc).facts;
    }
    forms.push(...(openapiForms.get(id) ?? []));
    const ours = flatten(endpoint.doc);
    const differences: Difference[] = [];
    let fields = 0;
    for (const form of forms) {
      const upstream = form === fromTypeMap ? live[id]! : flatten(form.doc).facts;
      const result = compareFacts(id, form.form, form.limits, upstream, ours.facts);
      differences.push(...result.differences);
      fields = Math.max(fields, result.compared);
    }
    const stale = applyDeviations(differences, endpoint.deviations, ours.origins);
    report.differences.push(...differences);
    report.stale.push(...stale.map((d) => ({ ...d, endpoint: id })));
    report.guesses.push(...endpoint.guesses.map((g) => ({ ...g, endpoint: id })));
    report.endpoints.push({ id, forms: forms.map((f) => f.form), fields });
  }

  const snapshot = await readSnapshot(root);
  report.snapshot.recorded = snapshot ? `${snapshot.package}@${snapshot.version}` : null;
  report.snapshot.moved = movedFacts(snapshot?.endpoints ?? {}, live);
  const snapshotCurrent = snapshot !== null && snapshot.version === where.version && report.snapshot.moved.length === 0;
  if (options.update && !snapshotCurrent) {
    const target = join(root, SNAPSHOT_FILE);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(`${target}.tmp`, renderSnapshot({ package: TYPE_MAP_PACKAGE, version: where.version, endpoints: live }));
    await rename(`${target}.tmp`, target);
    report.snapshot.written = true;
  }
  report.ok = report.differences.every((d) => d.deviation !== undefined) && report.stale.length === 0 && (snapshotCurrent || report.snapshot.written);
  return report;
}

export function formatUpstreamReport(report: UpstreamCheckReport): string[] {
  const lines: string[] = [];
  const known = report.endpoints.filter((e) => e.forms.length > 0);
  lines.push(`specs:upstream: ${known.length} of ${report.endpoints.length} endpoints compared with fal's own schemas`);
  for (const e of report.endpoints) {
    lines.push(
      `  ${e.id}: ${e.forms.length > 0 ? `${e.fields} fields against ${e.forms.join(", ")}` : "fal lists no schema for it (not in the type map, no fal-openapi source)"}`,
    );
  }
  const undeclared = report.differences.filter((d) => !d.deviation);
  lines.push("");
  if (report.differences.length > 0) lines.push(...formatTable(report.differences), "");
  lines.push(
    `${report.differences.length} differences: ${report.differences.length - undeclared.length} declared deviations, ${undeclared.length} undeclared.`,
  );
  if (undeclared.length > 0) {
    lines.push(
      "Each UNDECLARED row is a fact fal states that our spec does not (or the other way round). Fix the overlay that states it",
      "(specs/overlays/), or, if ours is right on purpose, give the overlay action that writes it `x-fluxkit-upstream-deviation: <why>`.",
      "Then `pnpm generate`.",
    );
  }
  for (const s of report.stale) {
    lines.push(
      `stale: ${s.file} actions[${s.action}] (${s.target}) declares a deviation for ${s.endpoint}, but nothing it writes differs from upstream: remove the declaration (or the action).`,
    );
  }
  if (report.guesses.length > 0) {
    lines.push("", "Facts no source states (x-fluxkit-guess):");
    for (const g of report.guesses) lines.push(`  ${g.endpoint}: ${g.file} actions[${g.action}] (${g.target}): ${g.reason}`);
  }
  lines.push("");
  const { recorded, moved, written } = report.snapshot;
  const current = `${TYPE_MAP_PACKAGE}@${report.typeMapVersion}`;
  if (moved.length > 0 || recorded !== current) {
    lines.push(
      `Upstream snapshot ${SNAPSHOT_FILE}: recorded ${recorded ?? "nothing"}, installed ${current}; ${moved.length} ${moved.length === 1 ? "fact" : "facts"} moved:`,
    );
    for (const m of moved) lines.push(`  ${m.endpoint}${m.field ? ` ${m.field}` : ""} ${m.fact}: ${m.before} → ${m.after}`);
    lines.push(
      written
        ? `  recorded ${current}'s facts in ${SNAPSHOT_FILE}.`
        : "  Update the overlays for the facts that moved (the table above shows where ours now differs), `pnpm generate` (the changesets follow), then `pnpm specs:upstream --update` to record them.",
    );
  } else lines.push(`Upstream snapshot ${SNAPSHOT_FILE}: ${current}, no fact moved.`);
  lines.push(report.ok ? "specs:upstream: ok" : "specs:upstream: FAILED");
  return lines;
}
