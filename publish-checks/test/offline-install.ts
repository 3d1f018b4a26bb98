/**
 * Installs packed tarballs into a scratch project without the network and without the
 * registry's metadata cache (a fresh CI machine has none: `pnpm install --offline` could not
 * resolve a version range there). Each tarball's third-party dependencies are linked to the
 * copies this workspace already installed, so only the tarballs themselves are under test.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

export const ROOT = new URL("../..", import.meta.url).pathname;

export function pack(packageDir: string, destination: string): string {
  const out = execFileSync("pnpm", ["pack", "--pack-destination", destination], { cwd: packageDir, encoding: "utf8" });
  const tarball = out.trim().split("\n").pop()!.trim();
  return tarball.startsWith("/") ? tarball : join(destination, tarball);
}

/** Where this workspace installed `name` for `fromPackageDir` (the real directory, not the link). */
function installedDir(name: string, fromPackageDir: string): string {
  const require = createRequire(join(fromPackageDir, "package.json"));
  try {
    return realpathSync(join(require.resolve(`${name}/package.json`), ".."));
  } catch {
    // Packages whose exports hide package.json: walk up from the entry point.
    let dir = join(require.resolve(name), "..");
    while (!JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name) dir = join(dir, "..");
    return realpathSync(dir);
  }
}

export interface PackedPackage {
  /** The workspace directory the tarball was packed from. */
  readonly dir: string;
  readonly tarball: string;
}

/**
 * Writes `app/package.json` depending on `dependencies` (name → tarball), with every
 * third-party dependency of those packages linked to the workspace's installed copy, then
 * runs an offline install.
 */
export function installOffline(app: string, packages: Readonly<Record<string, PackedPackage>>, extra: Record<string, unknown> = {}): void {
  const overrides: Record<string, string> = {};
  for (const [name, { tarball }] of Object.entries(packages)) overrides[name] = `file:${tarball}`;
  for (const { dir } of Object.values(packages)) {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (!(dependency in overrides)) overrides[dependency] = `link:${installedDir(dependency, dir)}`;
    }
  }
  const dependencies = Object.fromEntries(Object.entries(packages).map(([name, { tarball }]) => [name, `file:${tarball}`]));
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module", dependencies, pnpm: { overrides }, ...extra }, null, 2),
  );
  execFileSync("pnpm", ["install", "--offline", "--ignore-workspace", "--config.confirmModulesPurge=false"], { cwd: app, encoding: "utf8", stdio: "pipe" });
}
