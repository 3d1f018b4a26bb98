/**
 * Every publishable package, packed as npm would publish it, must pass publint (exports,
 * files, fields) and @arethetypeswrong/cli (types resolve for every module resolution a
 * consumer may use), and carry the metadata a registry user relies on.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pack } from "./offline-install.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = new URL("../node_modules/.bin/", import.meta.url).pathname;
const packs = mkdtempSync(join(tmpdir(), "fluxkit-publish-"));
afterAll(() => rmSync(packs, { recursive: true, force: true }));

const publishable = readdirSync(join(ROOT, "packages"))
  .map((dir) => ({ dir: join(ROOT, "packages", dir), pkg: JSON.parse(readFileSync(join(ROOT, "packages", dir, "package.json"), "utf8")) }))
  .filter(({ pkg }) => !pkg.private)
  .sort((a, b) => a.pkg.name.localeCompare(b.pkg.name));

describe.each(publishable)("$pkg.name", ({ dir, pkg }) => {
  it("has the fields a registry user relies on", () => {
    expect(pkg).toMatchObject({ type: "module", sideEffects: false, license: "MIT", engines: { node: expect.any(String) } });
    expect(pkg.exports["."]).toMatchObject({ types: expect.stringMatching(/\.d\.ts$/), import: expect.stringMatching(/\.js$/) });
    expect(pkg.files).toContain("dist");
    expect(pkg.repository).toMatchObject({ type: "git", directory: `packages/${dir.split("/").pop()}` });
  });

  it("passes publint and arethetypeswrong on the packed tarball", () => {
    const tarball = pack(dir, packs);
    const publint = execFileSync(join(BIN, "publint"), ["run", tarball, "--strict"], { encoding: "utf8" });
    expect(publint).not.toMatch(/error|warning/i);
    // ESM-only by design: CommonJS `require` is not offered, so attw checks the ESM resolutions.
    execFileSync(join(BIN, "attw"), [tarball, "--profile", "esm-only", "--format", "ascii"], { encoding: "utf8" });
  });
});
