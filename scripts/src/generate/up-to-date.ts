/**
 * A generate run whose inputs and outputs are byte for byte what the last run left is skipped.
 *
 * The record (node_modules/.cache/fluxkit/generate.json, never committed) holds a fingerprint of
 * every input — the vendor sources, overlays, queue protocol and providers, the generator's own
 * sources and the versions of the libraries that shape its output — and the sha256 of every
 * file the run wrote or kept. Any difference, including a hand edit to a generated file or a
 * deleted scaffold, runs the whole pipeline. `check:generated` never reads the record: it always
 * regenerates to prove the tree.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { readIfExists } from "../read-if-exists.js";
import { sha256 } from "../normalize/sources.js";

const RECORD = "node_modules/.cache/fluxkit/generate.json";
const INPUT_DIRS = ["specs/sources", "specs/overlays"];
const INPUT_FILES = ["specs/queue.yaml", "specs/providers.yaml"];
const GENERATOR_LIBRARIES = ["openapi-typescript", "ajv", "yaml", "jsonpath-plus"];

interface RunRecord {
  fingerprint: string;
  /** Every output path → sha256 of its content, or null for a path that must not exist. */
  files: Record<string, string | null>;
}

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort();
  } catch {
    return [];
  }
}

let generatorHash: string | undefined;

/** The generator itself: its sources and the exact versions of the libraries it runs. */
async function generatorFingerprint(): Promise<string> {
  if (generatorHash !== undefined) return generatorHash;
  const hash = createHash("sha256");
  // Every pipeline source (this file sits one folder below scripts/src).
  const here = dirname(dirname(fileURLToPath(import.meta.url)));
  for (const file of await filesUnder(here))
    hash
      .update(`${relative(here, file)}\0`)
      .update(await readFile(file))
      .update("\0");
  const require = createRequire(import.meta.url);
  for (const name of GENERATOR_LIBRARIES) {
    const { version } = JSON.parse(await readFile(require.resolve(`${name}/package.json`), "utf8")) as { version: string };
    hash.update(`${name}@${version}\0`);
  }
  generatorHash = hash.digest("hex");
  return generatorHash;
}

export async function inputFingerprint(root: string): Promise<string> {
  const hash = createHash("sha256").update(await generatorFingerprint());
  const inputs = [...(await Promise.all(INPUT_DIRS.map((d) => filesUnder(join(root, d))))).flat(), ...INPUT_FILES.map((f) => join(root, f))];
  for (const file of inputs) {
    const content = await readIfExists(file);
    hash.update(`${relative(root, file)}\0${content === null ? "(absent)" : sha256(content)}\0`);
  }
  return hash.digest("hex");
}

/** True when the record matches `fingerprint` and every recorded file is still as written. */
export async function isUpToDate(root: string, fingerprint: string): Promise<boolean> {
  const text = await readIfExists(join(root, RECORD));
  if (text === null) return false;
  let record: RunRecord;
  try {
    record = JSON.parse(text) as RunRecord;
  } catch {
    return false;
  }
  if (record.fingerprint !== fingerprint) return false;
  const checks = await Promise.all(
    Object.entries(record.files).map(async ([path, expected]) => {
      const content = await readIfExists(join(root, path));
      return expected === null ? content === null : content !== null && sha256(content) === expected;
    }),
  );
  return checks.every(Boolean);
}

/** Remember what this run left: the files it planned (written or already right), and removals. */
export async function recordRun(root: string, fingerprint: string, files: readonly string[], removals: readonly string[]): Promise<void> {
  const record: RunRecord = { fingerprint, files: {} };
  for (const path of [...files].sort()) {
    const content = await readIfExists(join(root, path));
    record.files[path] = content === null ? null : sha256(content);
  }
  for (const path of removals) record.files[path] = null;
  const target = join(root, RECORD);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(`${target}.tmp`, JSON.stringify(record));
  await rename(`${target}.tmp`, target);
}
