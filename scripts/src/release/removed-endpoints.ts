/**
 * Removed endpoints: a normalized spec or a generated package whose endpoint no vendor source
 * describes any more. Users may still depend on the package, so it is never deleted: its
 * package.json gets npm's `deprecated` message and its README a note, and it stays in the
 * workspace. Only the stale normalized spec goes (it is generated; nothing produces it now).
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { endpointIdOf } from "./classify.js";
import { isObject, type JsonObject } from "../json.js";
import { readIfExists } from "../read-if-exists.js";

export interface RemovedEndpoint {
  slug: string;
  /** Endpoint id, e.g. fal-ai/flux-schnell. */
  id: string;
  packageName: string;
  /** The normalized spec nothing produces any more (deleted by `pnpm generate`); null when already gone. */
  specPath: string | null;
  specYaml: string | null;
  /** packages/<slug>, when the package exists. */
  packageDir: string | null;
  /** The package already carries the deprecation (an earlier run handled it). */
  alreadyDeprecated: boolean;
  /** sha256 of the spec the package was last generated from (package.json fluxkit.specHash). */
  lastSpecHash: string | null;
}

export const DEPRECATION_NOTE_MARK = "> **Deprecated:**";

export function deprecationMessage(id: string): string {
  return `No vendor source describes the ${id} endpoint any more (removed or renamed upstream). This package is kept for existing users but is no longer updated.`;
}

async function listDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

function parseJsonFile(file: string, text: string): JsonObject {
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return value;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message}); fix or restore it with git`);
  }
  throw new Error(`${file}: expected a JSON object`);
}

/** Endpoints with a normalized spec or a generated package on disk but no source now. */
export async function findRemovedEndpoints(root: string, liveSlugs: ReadonlySet<string>): Promise<RemovedEndpoint[]> {
  const removed = new Map<string, RemovedEndpoint>();
  const entry = (slug: string): RemovedEndpoint => {
    const existing = removed.get(slug);
    if (existing) return existing;
    const created: RemovedEndpoint = {
      slug,
      id: slug,
      packageName: `@fluxkit/${slug}`,
      specPath: null,
      specYaml: null,
      packageDir: null,
      alreadyDeprecated: false,
      lastSpecHash: null,
    };
    removed.set(slug, created);
    return created;
  };
  for (const name of await listDir(join(root, "specs/normalized"))) {
    const slug = name.replace(/\.yaml$/, "");
    if (!name.endsWith(".yaml") || liveSlugs.has(slug)) continue;
    const specPath = `specs/normalized/${name}`;
    const specYaml = (await readIfExists(join(root, specPath)))!;
    const doc: unknown = parse(specYaml);
    const item = entry(slug);
    item.specPath = specPath;
    item.specYaml = specYaml;
    item.id = (isObject(doc) && endpointIdOf(doc)) || slug;
  }
  for (const slug of await listDir(join(root, "packages"))) {
    if (liveSlugs.has(slug)) continue;
    const file = `packages/${slug}/package.json`;
    const text = await readIfExists(join(root, file));
    if (text === null) continue;
    const pkg = parseJsonFile(file, text);
    const fluxkit = isObject(pkg.fluxkit) ? pkg.fluxkit : null;
    // Only generated endpoint packages carry `fluxkit.endpoint`; hand-written ones are not ours to deprecate.
    if (!fluxkit || typeof fluxkit.endpoint !== "string") continue;
    const item = entry(slug);
    item.id = fluxkit.endpoint;
    item.packageDir = `packages/${slug}`;
    item.packageName = typeof pkg.name === "string" ? pkg.name : item.packageName;
    item.alreadyDeprecated = typeof pkg.deprecated === "string";
    item.lastSpecHash = typeof fluxkit.specHash === "string" ? fluxkit.specHash : null;
  }
  return [...removed.values()].sort((a, b) => a.slug.localeCompare(b.slug));
}

/** package.json with `deprecated`, README with a note; unchanged bytes once already done. */
export async function deprecationOutputs(root: string, removed: readonly RemovedEndpoint[]): Promise<{ path: string; content: string }[]> {
  const outputs: { path: string; content: string }[] = [];
  for (const item of removed) {
    if (item.packageDir === null) continue;
    const message = deprecationMessage(item.id);
    const pkgPath = `${item.packageDir}/package.json`;
    const pkgText = (await readIfExists(join(root, pkgPath)))!;
    const pkg = parseJsonFile(pkgPath, pkgText);
    outputs.push({ path: pkgPath, content: typeof pkg.deprecated === "string" ? pkgText : `${JSON.stringify({ ...pkg, deprecated: message }, null, 2)}\n` });

    const readmePath = `${item.packageDir}/README.md`;
    const readme = await readIfExists(join(root, readmePath));
    if (readme === null) {
      outputs.push({ path: readmePath, content: `# ${item.packageName}\n\n${DEPRECATION_NOTE_MARK} ${message}\n` });
    } else if (readme.includes(DEPRECATION_NOTE_MARK)) {
      outputs.push({ path: readmePath, content: readme });
    } else {
      const lines = readme.split("\n");
      const title = lines.findIndex((line) => line.startsWith("# "));
      lines.splice(title + 1, 0, "", `${DEPRECATION_NOTE_MARK} ${message}`);
      outputs.push({ path: readmePath, content: lines.join("\n") });
    }
  }
  return outputs;
}
