/**
 * Sources: the vendor documents under specs/sources/<provider>/, each listed with its
 * provenance (origin, format, sha256) in that folder's provenance.yaml. A file whose bytes no
 * longer match its recorded sha256, or a file nobody recorded, stops the pipeline.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import type { SourceFormat } from "./extract.js";
import { FileError } from "../file-error.js";

export interface SourceFile {
  /** Path relative to the repo root, with forward slashes. */
  file: string;
  provider: string | null;
  format: SourceFormat;
  origin: string;
  content: string;
}

export interface Provenance {
  provider: string | null;
  files: Record<string, { origin: string; format: SourceFormat; sha256: string }>;
}

export const PROVENANCE_FILE = "provenance.yaml";
export const FORMATS: SourceFormat[] = ["apifox-markdown", "yaml", "json", "docs-page", "fal-openapi"];

export class SourceError extends FileError {
  override name = "SourceError";
}

export function sha256(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export async function readProvenance(root: string, provider: string): Promise<Provenance> {
  const where = `specs/sources/${provider}/${PROVENANCE_FILE}`;
  let parsed: unknown;
  try {
    parsed = parse(await readFile(join(root, where), "utf8"));
  } catch (error) {
    throw new SourceError(where, `cannot read provenance: ${(error as Error).message}`);
  }
  const record = parsed as Partial<Provenance> | null;
  if (!record || typeof record.files !== "object" || record.files === null) {
    throw new SourceError(where, "expected `provider:` and a `files:` map");
  }
  return { provider: record.provider ?? null, files: record.files };
}

export async function loadSources(root: string): Promise<SourceFile[]> {
  const base = join(root, "specs/sources");
  const providers = (await readdir(base, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const sources: SourceFile[] = [];
  for (const dir of providers) {
    const provenance = await readProvenance(root, dir);
    const present = (await readdir(join(base, dir))).filter((name) => name !== PROVENANCE_FILE).sort();
    for (const name of present) {
      const file = `specs/sources/${dir}/${name}`;
      const entry = provenance.files[name];
      if (!entry) throw new SourceError(file, `not listed in specs/sources/${dir}/${PROVENANCE_FILE}; import it with \`pnpm specs:import\``);
      if (!FORMATS.includes(entry.format)) throw new SourceError(file, `unknown format "${entry.format}" (expected ${FORMATS.join(", ")})`);
      const bytes = await readFile(join(base, dir, name));
      const actual = sha256(bytes);
      if (actual !== entry.sha256) {
        throw new SourceError(file, `sha256 is ${actual}, provenance records ${entry.sha256}: vendor documents are kept byte for byte`);
      }
      sources.push({ file, provider: provenance.provider, format: entry.format, origin: entry.origin, content: bytes.toString("utf8") });
    }
    for (const name of Object.keys(provenance.files)) {
      if (!present.includes(name)) throw new SourceError(`specs/sources/${dir}/${name}`, "listed in provenance but missing");
    }
  }
  return sources;
}
