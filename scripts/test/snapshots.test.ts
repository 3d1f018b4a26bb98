/**
 * File snapshots of the whole pipeline over a small fixture vendor doc (broken YAML, prose
 * constraints, a URL typo, nullable): a change to any rule or template shows up as a diff.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planOutputs, type PlannedOutput } from "../src/generate/outputs.js";
import { sha256 } from "../src/normalize/sources.js";
import { REPO } from "./helpers.js";

let root: string;
let outputs: PlannedOutput[];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fluxkit-snapshot-"));
  const fixture = await readFile(new URL("./fixtures/acme-upscale.apifox.md", import.meta.url), "utf8");
  await mkdir(join(root, "specs/sources/acme"), { recursive: true });
  await writeFile(join(root, "specs/sources/acme/upscale.apifox.md"), fixture);
  await writeFile(
    join(root, "specs/sources/acme/provenance.yaml"),
    `provider: acme\nfiles:\n  upscale.apifox.md:\n    origin: test fixture\n    format: apifox-markdown\n    sha256: ${sha256(fixture)}\n`,
  );
  for (const file of ["queue.yaml", "providers.yaml"]) await copyFile(join(REPO, "specs", file), join(root, "specs", file));
  ({ outputs } = await planOutputs(root));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("pipeline output for a fixture vendor doc", () => {
  it.each([
    "specs/normalized/upscale-v2.yaml",
    "packages/upscale-v2/src/generated/openapi.ts",
    "packages/upscale-v2/src/generated/endpoint.ts",
    "packages/upscale-v2/src/generated/client.ts",
    "packages/upscale-v2/README.md",
    "packages/upscale-v2/package.json",
    "packages/endpoints/src/generated/index.ts",
    "packages/endpoints/src/generated/specs.ts",
    "packages/endpoints/package.json",
  ])("%s", async (path) => {
    const output = outputs.find((o) => o.path === path);
    expect(output, `no output ${path}; got ${outputs.map((o) => o.path).join(", ")}`).toBeDefined();
    await expect(output!.content).toMatchFileSnapshot(`__snapshots__/acme/${path.replaceAll("/", "__")}`);
  });
});
