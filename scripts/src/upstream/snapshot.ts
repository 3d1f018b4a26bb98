/**
 * The upstream snapshot (specs/upstream/fal-client-types.json): the facts the pinned type map
 * stated for our endpoints when the overlays were last reconciled with it, and the version
 * they came from. When the pin moves, the live facts are compared with it and the report names
 * exactly the facts that moved; `pnpm specs:upstream --update` records the new ones once the
 * overlays say what they should.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { deepEqual, type Json } from "../json.js";
import { type FactsByField, type FieldFacts, sortFacts } from "./facts.js";
import { FileError } from "../file-error.js";

export const SNAPSHOT_FILE = "specs/upstream/fal-client-types.json";

export interface UpstreamSnapshot {
  package: string;
  version: string;
  /** Endpoint id → field → facts. */
  endpoints: Record<string, FactsByField>;
}

export class SnapshotError extends FileError {
  override name = "SnapshotError";
  constructor(message: string) {
    super(SNAPSHOT_FILE, message);
  }
}

export async function readSnapshot(root: string): Promise<UpstreamSnapshot | null> {
  let text: string;
  try {
    text = await readFile(join(root, SNAPSHOT_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SnapshotError(`not JSON (${(error as Error).message}); restore it from git or run \`pnpm specs:upstream --update\``);
  }
  const snapshot = value as Partial<UpstreamSnapshot>;
  if (typeof snapshot.package !== "string" || typeof snapshot.version !== "string" || typeof snapshot.endpoints !== "object" || snapshot.endpoints === null) {
    throw new SnapshotError("expected { package, version, endpoints }; restore it from git or run `pnpm specs:upstream --update`");
  }
  return snapshot as UpstreamSnapshot;
}

export function renderSnapshot(snapshot: UpstreamSnapshot): string {
  const endpoints: Record<string, FactsByField> = {};
  for (const id of Object.keys(snapshot.endpoints).sort()) endpoints[id] = sortFacts(snapshot.endpoints[id]!);
  return `${JSON.stringify({ package: snapshot.package, version: snapshot.version, endpoints }, null, 2)}\n`;
}

export interface MovedFact {
  endpoint: string;
  field: string;
  /** "endpoint", "field", or the fact's name (required, type, enum, default, minimum, …). */
  fact: string;
  before: string;
  after: string;
}

const show = (value: Json | undefined) => (value === undefined ? "—" : JSON.stringify(value));

/** Every fact that differs between the recorded and the live extraction. */
export function movedFacts(before: Record<string, FactsByField>, after: Record<string, FactsByField>): MovedFact[] {
  const moved: MovedFact[] = [];
  const ids = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const endpoint of ids) {
    const b = before[endpoint];
    const a = after[endpoint];
    if (b === undefined || a === undefined) {
      moved.push({ endpoint, field: "", fact: "endpoint", before: b ? "listed" : "—", after: a ? "listed" : "—" });
      continue;
    }
    for (const field of [...new Set([...Object.keys(b), ...Object.keys(a)])].sort()) {
      const fb = b[field];
      const fa = a[field];
      if (fb === undefined || fa === undefined) {
        moved.push({ endpoint, field, fact: "field", before: fb ? "present" : "—", after: fa ? "present" : "—" });
        continue;
      }
      for (const key of [...new Set([...Object.keys(fb), ...Object.keys(fa)])].sort() as (keyof FieldFacts)[]) {
        if (!deepEqual(fb[key], fa[key])) moved.push({ endpoint, field, fact: key, before: show(fb[key] as Json), after: show(fa[key] as Json) });
      }
    }
  }
  return moved;
}
