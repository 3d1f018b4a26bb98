/**
 * Diff: the normalized specs of the working tree against those at a git ref, classified per
 * endpoint from the SDK user's side (see classify.ts).
 */
import { execFile } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { endpointIdOf, highestBump } from "./classify.js";
import { compareEndpoint, type EndpointComparison, parseNormalizedSpec } from "./endpoint-comparison.js";
import { formatComparison } from "./report.js";

const run = promisify(execFile);
const NORMALIZED_DIR = "specs/normalized";

export type EndpointDiff = EndpointComparison;

/** slug → YAML text of each specs/normalized/<slug>.yaml. */
export type SpecSet = Map<string, string>;

async function git(root: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run("git", args, { cwd: root, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`git ${args.join(" ")} failed in ${root}: ${stderr || (error as Error).message}`);
  }
}

export async function specsAtRef(root: string, ref: string): Promise<SpecSet> {
  try {
    await run("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: root });
  } catch {
    throw new Error(`"${ref}" is not a commit in the git repository at ${root}; pass --base <branch, tag or sha>`);
  }
  const listed = await git(root, ["ls-tree", "--name-only", ref, `${NORMALIZED_DIR}/`]);
  const specs: SpecSet = new Map();
  for (const path of listed
    .split("\n")
    .filter((p) => p.endsWith(".yaml"))
    .sort()) {
    specs.set(path.slice(NORMALIZED_DIR.length + 1, -".yaml".length), await git(root, ["show", `${ref}:${path}`]));
  }
  return specs;
}

export async function specsInTree(root: string): Promise<SpecSet> {
  let names: string[];
  try {
    names = await readdir(join(root, NORMALIZED_DIR));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Map();
    throw error;
  }
  const specs: SpecSet = new Map();
  for (const name of names.filter((n) => n.endsWith(".yaml")).sort()) {
    specs.set(name.slice(0, -".yaml".length), await readFile(join(root, NORMALIZED_DIR, name), "utf8"));
  }
  return specs;
}

export function diffSpecSets(before: SpecSet, after: SpecSet, baseLabel: string): EndpointDiff[] {
  const slugs = [...new Set([...before.keys(), ...after.keys()])].sort();
  return slugs.map((slug) => {
    const path = `${NORMALIZED_DIR}/${slug}.yaml`;
    const b = before.get(slug);
    const a = after.get(slug);
    const beforeSpec = b === undefined ? null : { label: `${path} at ${baseLabel}`, yaml: b };
    const afterSpec = a === undefined ? null : { label: path, yaml: a };
    // The endpoint id as either side states it (the slug when neither parses to one).
    const stated = [afterSpec, beforeSpec].flatMap((spec) => (spec === null ? [] : [endpointIdOf(parseNormalizedSpec(spec.label, spec.yaml))]));
    const id = stated.find((x) => x) || slug;
    return compareEndpoint({ id, slug, packageName: `@fluxkit/${slug}` }, beforeSpec, afterSpec);
  });
}

export function formatDiffReport(diffs: readonly EndpointDiff[], baseLabel: string): string[] {
  const lines = [`specs:diff: ${NORMALIZED_DIR} at ${baseLabel} → working tree`];
  const unchanged = diffs.filter((d) => d.status === "unchanged");
  for (const diff of diffs.filter((d) => d.status !== "unchanged")) lines.push("", ...formatComparison(diff, { kinds: true }));
  if (unchanged.length > 0) lines.push("", `unchanged: ${unchanged.map((d) => d.id).join(", ")}`);
  const top = highestBump(diffs.flatMap((d) => d.changes));
  lines.push("", diffs.every((d) => d.status === "unchanged") ? "No spec changes." : `Highest bump: ${top}.`);
  return lines;
}
