/**
 * Synthetic catalogue: N endpoint specs shaped like the real ones, in a temp repo root.
 *
 * Each is the real chainhub flux-lora Apifox export (unparseable YAML and all, so repair, the
 * prose rules and the queue protocol all run), with its path moved to /fal-ai/synth-<i> and
 * its fields varied: one extra field per spec, its range written in prose, and the step range.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TEMPLATE = "specs/sources/chainhub/flux-lora.apifox.md";

export async function synthSource(i: number): Promise<string> {
  const template = await readFile(join(REPO_ROOT, TEMPLATE), "utf8");
  const extra = [
    `                variant_${i}:`,
    "                  type: integer",
    `                  description: Range value: 0-${10 + (i % 90)}`,
    `                style_${i % 7}:`,
    "                  type: string",
    "                  description: Style preset, enumerated values: vivid, natural, muted",
  ].join("\n");
  const out = template
    .replaceAll("/fal-ai/flux-lora", `/fal-ai/synth-${i}`)
    .replace("fal.ai/models/fal-ai/flux-lora", `fal.ai/models/fal-ai/synth-${i}`)
    .replace("                  description: Prompt words\n", `                  description: Prompt words\n${extra}\n`)
    .replace("Range value: 1-50", `Range value: 1-${20 + (i % 80)}`);
  if (!out.includes(`variant_${i}:`)) throw new Error(`${TEMPLATE} no longer has the shape synth.ts expects (a prompt field described "Prompt words")`);
  return out;
}

/** A temp repo root with specs/queue.yaml, specs/providers.yaml and N synthetic sources. */
export async function synthRepo(n: number, parent = tmpdir()): Promise<string> {
  const root = await mkdtemp(join(parent, `fluxkit-synth-${n}-`));
  await mkdir(join(root, "specs/sources/chainhub"), { recursive: true });
  for (const f of ["specs/queue.yaml", "specs/providers.yaml"]) await copyFile(join(REPO_ROOT, f), join(root, f));
  const lines = ["provider: chainhub", "files:"];
  for (let i = 0; i < n; i++) {
    const name = `synth-${i}.apifox.md`;
    const text = await synthSource(i);
    await writeFile(join(root, "specs/sources/chainhub", name), text);
    const sha = createHash("sha256").update(text).digest("hex");
    lines.push(`  ${name}:`, "    origin: synthesized by bench/src/synth.ts", "    format: apifox-markdown", `    sha256: ${sha}`);
  }
  await writeFile(join(root, "specs/sources/chainhub/provenance.yaml"), `${lines.join("\n")}\n`);
  return root;
}
