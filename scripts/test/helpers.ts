import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256 } from "../src/normalize/sources.js";
import { onTestFinished } from "vitest";

export const REPO = new URL("../..", import.meta.url).pathname;

/** A scratch copy of the repo's specs/ (never the real tree). */
export async function scratchRepo(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "fluxkit-pipeline-"));
  await cp(join(REPO, "specs"), join(root, "specs"), { recursive: true });
  return root;
}

/** A scratch repo (as scratchRepo) removed when the running test finishes: call it inside a test. */
export async function testRepo(): Promise<string> {
  const root = await scratchRepo();
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  return root;
}

/** Replace a source file's bytes and re-record its sha256, as an import would. */
export async function replaceSource(root: string, provider: string, name: string, content: string, format?: string): Promise<void> {
  await writeFile(join(root, "specs/sources", provider, name), content);
  const provenancePath = join(root, "specs/sources", provider, "provenance.yaml");
  const text = await readFile(provenancePath, "utf8");
  const entry = new RegExp(`(  ${name.replaceAll(".", "\\.")}:\\n(?:    .*\\n)*?    sha256: )[0-9a-f]+`);
  const next = entry.test(text)
    ? text.replace(entry, `$1${sha256(content)}`)
    : `${text}  ${name}:\n    origin: test\n    format: ${format ?? "yaml"}\n    sha256: ${sha256(content)}\n`;
  await writeFile(provenancePath, next);
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
