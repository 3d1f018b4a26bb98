/**
 * Regeneration scenarios: each a small before/after pair of vendor documents in a scratch
 * copy of the repo (never the real tree), asserting how the change is classified and which
 * changeset generation writes.
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { ChangeKind, SpecChange } from "../src/release/classify.js";
import { type EndpointRegeneration, formatRegenerationReport } from "../src/release/changesets.js";
import { importSource } from "../src/normalize/import-source.js";
import { staleOutputs, writeOutputs } from "../src/generate/outputs.js";
import { planRegeneration } from "../src/generate/regenerate.js";
import { listFiles, REPO, replaceSource, testRepo } from "./helpers.js";

/** A scratch repo with its packages generated, as the real tree has them. */
async function generatedRepo(): Promise<string> {
  const root = await testRepo();
  await generate(root);
  expect(await changesets(root)).toEqual([]);
  return root;
}

/** What `pnpm generate` does: plan everything in memory, then write it all at once. */
async function generate(root: string, stage: "normalize" | "generate" = "generate"): Promise<EndpointRegeneration[]> {
  const plan = await planRegeneration(root, stage);
  await writeOutputs(root, plan.outputs, plan.removals);
  return plan.endpoints;
}

async function changesets(root: string): Promise<string[]> {
  try {
    return (await readdir(join(root, ".changeset"))).sort();
  } catch {
    return [];
  }
}

const LORA = "flux-lora.apifox.md";

/**
 * Edit chainhub's flux-lora document, regenerate, and return what happened to flux-lora.
 * `setup` edits it first (generated and committed, as it were): the overlays restate fal's
 * facts for every field the vendor lists, so scenarios about a field the vendor alone decides
 * start by giving it one.
 */
async function changeLora(
  edit: (doc: string) => string,
  setup?: (doc: string) => string,
): Promise<{ root: string; lora: EndpointRegeneration; changeset: string | null; all: EndpointRegeneration[] }> {
  const root = await generatedRepo();
  if (setup) {
    await replaceSource(root, "chainhub", LORA, setup(await readFile(join(root, "specs/sources/chainhub", LORA), "utf8")));
    await generate(root);
    await rm(join(root, ".changeset"), { recursive: true, force: true });
  }
  const original = await readFile(join(root, "specs/sources/chainhub", LORA), "utf8");
  const edited = edit(original);
  expect(edited, "the scenario's edit must change the document").not.toBe(original);
  await replaceSource(root, "chainhub", LORA, edited);
  const all = await generate(root);
  const lora = all.find((e) => e.slug === "flux-lora")!;
  const files = await changesets(root);
  expect(
    files.every((f) => f.startsWith("flux-lora-")),
    `only flux-lora has a changeset: ${files.join(", ")}`,
  ).toBe(true);
  const changeset = lora.changeset ? await readFile(join(root, lora.changeset.path), "utf8") : null;
  return { root, lora, changeset, all };
}

/** A field only the vendor states (no overlay restates it). */
const NEGATIVE_PROMPT = "                negative_prompt:\n                  type: string\n                  description: What to avoid\n";
const withNegativePrompt = (d: string) =>
  d.replace("                  description: Prompt words\n", `                  description: Prompt words\n${NEGATIVE_PROMPT}`);

const pick = (changes: SpecChange[]) => changes.filter((c) => c.bump !== "none").map((c) => [c.bump, c.kind, c.path]);
const has = (changes: SpecChange[], bump: string, kind: ChangeKind, path: string) => expect(pick(changes)).toContainEqual([bump, kind, path]);
/** The endpoint's bump, one change among those behind it, and the changeset line that states it. */
function expectBump(changed: { lora: EndpointRegeneration; changeset: string | null }, bump: string, kind: ChangeKind, path: string, line: string): void {
  expect(changed.lora.bump).toBe(bump);
  has(changed.lora.changes, bump, kind, path);
  expect(changed.changeset).toContain(line);
}

describe("regeneration scenarios (flux-lora from chainhub)", () => {
  it("add an optional input field: minor", async () => {
    const { lora, changeset, all } = await changeLora((d) =>
      d.replace(
        "                  description: Prompt words\n",
        "                  description: Prompt words\n                negative_prompt:\n                  type: string\n",
      ),
    );
    expect(lora).toMatchObject({ status: "changed", bump: "minor" });
    expect(pick(lora.changes)).toEqual([["minor", "field-added", "Input.negative_prompt"]]);
    expect(changeset).toBe(
      '---\n"@fluxkit/flux-lora": minor\n---\n\nThe `fal-ai/flux-lora` endpoint changed upstream; regenerated from `specs/normalized/flux-lora.yaml`.\n\n- minor: `Input.negative_prompt`: new optional input field (string)\n',
    );
    expect(lora.changeset!.path).toMatch(/^\.changeset\/flux-lora-[0-9a-f]{8}\.md$/);
    // The other endpoints did not change: no changeset, no bump.
    expect(all.filter((e) => e.slug !== "flux-lora").map((e) => [e.status, e.changeset])).toEqual([
      ["unchanged", null],
      ["unchanged", null],
    ]);
  });

  it("add a required input field: major", async () => {
    const { lora, changeset } = await changeLora((d) =>
      d
        .replace(
          "                  description: Prompt words\n",
          "                  description: Prompt words\n                negative_prompt:\n                  type: string\n",
        )
        .replace(
          "              required:\n                - prompt\n",
          "              required:\n                - prompt\n                - negative_prompt\n",
        ),
    );
    expect(lora.bump).toBe("major");
    expect(pick(lora.changes)).toEqual([["major", "field-added", "Input.negative_prompt"]]);
    expect(changeset).toContain('"@fluxkit/flux-lora": major');
    expect(changeset).toContain("- major: `Input.negative_prompt`: new required input field (string); every call must now set it");
  });

  it("an optional input becomes required: major", async () => {
    const { lora } = await changeLora((d) =>
      d.replace("              required:\n                - prompt\n", "              required:\n                - prompt\n                - num_images\n"),
    );
    expect(pick(lora.changes)).toEqual([["major", "field-now-required", "Input.num_images"]]);
  });

  it("remove an input field: major", async () => {
    const { lora, changeset } = await changeLora((d) => d.replace(NEGATIVE_PROMPT, ""), withNegativePrompt);
    expect(lora.bump).toBe("major");
    expect(pick(lora.changes)).toEqual([["major", "field-removed", "Input.negative_prompt"]]);
    expect(changeset).toContain("- major: `Input.negative_prompt`: input field removed");
  });

  it("add an enum value: minor; remove one: major", async () => {
    const added = await changeLora((d) => d.replace("Supported output image formats: jpeg, png", "Supported output image formats: jpeg, png, webp"));
    expectBump(added, "minor", "enum-value-added", "Input.output_format", '- minor: `Input.output_format`: value "webp" added');

    const removed = await changeLora((d) => d.replace("Supported output image formats: jpeg, png", "Supported output image formats: jpeg"));
    expectBump(
      removed,
      "major",
      "enum-value-removed",
      "Input.output_format",
      '- major: `Input.output_format`: value "png" removed; inputs using it are rejected',
    );
  });

  it("narrow a range: major; widen it: minor", async () => {
    const narrowed = await changeLora((d) => d.replace("Range value: 1-50", "Range value: 1-30"));
    expectBump(
      narrowed,
      "major",
      "range-narrowed",
      "Input.num_inference_steps",
      "- major: `Input.num_inference_steps`: maximum 50 → 30: inputs that were valid are now rejected",
    );

    const widened = await changeLora((d) => d.replace("Range value: 1-50", "Range value: 1-100"));
    expect(widened.lora.bump).toBe("minor");
    has(widened.lora.changes, "minor", "range-widened", "Input.num_inference_steps");
    // The phrase the range came from is lifted out of the description, so only the range changed.
    expect(widened.lora.changes.filter((c) => c.path === "Input.num_inference_steps").map((c) => c.kind)).toEqual(["range-widened"]);
    expect(widened.changeset).toContain('"@fluxkit/flux-lora": minor');
  });

  it("change a type: major", async () => {
    const { lora, changeset } = await changeLora((d) =>
      d.replace("                guidance_scale:\n                  type: number\n", "                guidance_scale:\n                  type: string\n"),
    );
    expect(lora.bump).toBe("major");
    has(lora.changes, "major", "type-changed", "Input.guidance_scale");
    expect(changeset).toContain("- major: `Input.guidance_scale`: type number → string");
  });

  it("a description-only change: patch", async () => {
    const { lora, changeset } = await changeLora((d) => d.replace("description: What to avoid", "description: What to leave out"), withNegativePrompt);
    expect(lora.bump).toBe("patch");
    expect(pick(lora.changes)).toEqual([["patch", "description-changed", "Input.negative_prompt"]]);
    expect(changeset).toContain('"@fluxkit/flux-lora": patch');
    expect(changeset).toContain('- patch: `Input.negative_prompt`: description "What to avoid" → "What to leave out"');
  });

  it("a vendor description an overlay restates from fal: the package does not change", async () => {
    const { lora, changeset } = await changeLora((d) => d.replace("description: Prompt words", "description: What to draw"));
    expect(lora).toMatchObject({ bump: "none", changeset: null });
    expect(changeset).toBeNull();
  });

  it("a server URL typo reintroduced: fixed again, no bump, no changeset", async () => {
    const { root, lora, changeset } = await changeLora((d) => d.replace("  - url: https://api.chainhub.tech\n", "  - url: https:/api.chainhub.tech\n"));
    // Only the recorded source hash moved: reported, but nothing users can notice.
    expect(lora).toMatchObject({ status: "changed", bump: "none", changeset: null });
    expect(lora.changes.map((c) => [c.bump, c.kind])).toEqual([["none", "provenance-changed"]]);
    expect(changeset).toBeNull();
    expect(await changesets(root)).toEqual([]);
    const spec = parse(await readFile(join(root, "specs/normalized/flux-lora.yaml"), "utf8")) as { servers: { url: string }[] };
    expect(spec.servers[0]!.url).toBe("https://api.chainhub.tech");
  });

  it("re-running generate does not duplicate the changeset; `normalize` then `generate` does not lose it", async () => {
    const { root, changeset } = await changeLora((d) => d.replace("Range value: 1-50", "Range value: 1-30"));
    const files = await changesets(root);
    expect(files).toHaveLength(1);
    const again = await generate(root);
    expect(again.every((e) => e.status === "unchanged" && e.changeset === null)).toBe(true);
    expect(await changesets(root)).toEqual(files);
    expect(await readFile(join(root, ".changeset", files[0]!), "utf8")).toBe(changeset);

    const other = await generatedRepo();
    await replaceSource(
      other,
      "chainhub",
      LORA,
      (await readFile(join(other, "specs/sources/chainhub", LORA), "utf8")).replace("Range value: 1-50", "Range value: 1-30"),
    );
    await generate(other, "normalize");
    await generate(other, "generate");
    expect(await changesets(other)).toEqual(files);
  });
});

/** A vendor document for an endpoint nobody has yet (no overlays refer to it). */
function schnellDoc(path = "/fal-ai/flux/schnell", steps = "1-12"): string {
  return `openapi: 3.0.1
info:
  title: ''
  version: 1.0.0
servers:
  - url: https://api.chainhub.tech
paths:
  ${path}:
    post:
      summary: ${path}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required:
                - prompt
              properties:
                prompt:
                  type: string
                  description: Prompt words
                num_inference_steps:
                  type: integer
                  description: Range value: ${steps}
      responses:
        '200':
          description: ''
`;
}

async function writeDoc(dir: string, name: string, content: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, name);
  await writeFile(file, content);
  return file;
}

describe("regeneration scenarios (endpoints appear and disappear)", () => {
  it("add an endpoint: imported, a new package planned that type-checks, a minor changeset", async () => {
    const root = await generatedRepo();
    const file = await writeDoc(join(root, "incoming"), "schnell-export.yaml", schnellDoc());
    const imported = await importSource(root, { input: file, provider: "acme", origin: "test: acme export" });
    expect(imported).toMatchObject({ file: "specs/sources/acme/flux-schnell.yaml", format: "yaml", status: "added" });
    expect(imported.endpoints).toEqual([expect.objectContaining({ id: "fal-ai/flux/schnell", status: "new", bump: "minor" })]);
    expect(await readFile(join(root, imported.file), "utf8")).toBe(schnellDoc());
    expect(parse(await readFile(join(root, "specs/sources/acme/provenance.yaml"), "utf8"))).toEqual({
      provider: "acme",
      files: { "flux-schnell.yaml": { origin: "test: acme export", format: "yaml", sha256: imported.sha256 } },
    });

    const endpoints = await generate(root);
    const schnell = endpoints.find((e) => e.slug === "flux-schnell")!;
    expect(schnell).toMatchObject({ status: "new", bump: "minor" });
    expect(formatRegenerationReport([schnell])).toContain("  new workspace package packages/flux-schnell: run `pnpm install` to link it before building");
    expect(await changesets(root)).toEqual([schnell.changeset!.path.slice(".changeset/".length)]);
    expect(await readFile(join(root, schnell.changeset!.path), "utf8")).toBe(
      '---\n"@fluxkit/flux-schnell": minor\n---\n\nNew package for fal\'s `fal-ai/flux/schnell` endpoint, generated from `specs/normalized/flux-schnell.yaml` (sources: `specs/sources/acme/flux-schnell.yaml`).\n',
    );
    const files = (await listFiles(join(root, "packages/flux-schnell"))).map((f) => f.slice(root.length + 1));
    for (const f of [
      "README.md",
      "package.json",
      "src/index.ts",
      "src/generated/openapi.ts",
      "src/generated/endpoint.ts",
      "src/generated/client.ts",
      "tsconfig.json",
    ]) {
      expect(files).toContain(`packages/flux-schnell/${f}`);
    }
    // Type-check the new package as the workspace would: base tsconfig, openapi-fetch and @fluxkit/protocol in reach.
    await copyFile(join(REPO, "tsconfig.base.json"), join(root, "tsconfig.base.json"));
    await mkdir(join(root, "node_modules/@fluxkit"), { recursive: true });
    await symlink(await realpath(join(REPO, "packages/flux-lora/node_modules/openapi-fetch")), join(root, "node_modules/openapi-fetch"));
    await symlink(join(REPO, "packages/protocol"), join(root, "node_modules/@fluxkit/protocol"));
    execFileSync(join(REPO, "node_modules/.bin/tsc"), ["-p", "packages/flux-schnell/tsconfig.json"], { cwd: root, stdio: "pipe" });
  });

  it("remove an endpoint: the package is kept and deprecated, a major changeset; idempotent", async () => {
    const root = await generatedRepo();
    await importSource(root, { input: await writeDoc(join(root, "incoming"), "a.yaml", schnellDoc()), provider: "acme" });
    await generate(root);
    await rm(join(root, ".changeset"), { recursive: true });
    const oldSpec = await readFile(join(root, "specs/normalized/flux-schnell.yaml"), "utf8");

    await rm(join(root, "specs/sources/acme"), { recursive: true });
    const endpoints = await generate(root);
    const schnell = endpoints.find((e) => e.slug === "flux-schnell")!;
    expect(schnell).toMatchObject({ status: "removed", bump: "major" });
    expect(schnell.changes.map((c) => [c.bump, c.kind])).toEqual([["major", "endpoint-removed"]]);
    expect(await changesets(root)).toEqual([schnell.changeset!.path.slice(".changeset/".length)]);
    expect(schnell.changeset!.path).toMatch(/^\.changeset\/flux-schnell-removed-[0-9a-f]{8}\.md$/);
    const changeset = await readFile(join(root, schnell.changeset!.path), "utf8");
    expect(changeset).toMatch(
      /^---\n"@fluxkit\/flux-schnell": major\n---\n\nDeprecated\. No vendor source describes the fal-ai\/flux\/schnell endpoint any more/,
    );

    const pkg = JSON.parse(await readFile(join(root, "packages/flux-schnell/package.json"), "utf8"));
    expect(pkg.deprecated).toMatch(/^No vendor source describes the fal-ai\/flux\/schnell endpoint any more/);
    expect(pkg.name).toBe("@fluxkit/flux-schnell");
    const readme = await readFile(join(root, "packages/flux-schnell/README.md"), "utf8");
    expect(readme.split("\n").slice(1, 4)).toEqual(["# @fluxkit/flux-schnell", "", `> **Deprecated:** ${pkg.deprecated}`]);
    // Kept: the generated code is still there for existing users; only the stale spec goes.
    expect(await readFile(join(root, "packages/flux-schnell/src/generated/endpoint.ts"), "utf8")).toContain("fal-ai/flux/schnell");
    await expect(readFile(join(root, "specs/normalized/flux-schnell.yaml"), "utf8")).rejects.toThrow(/ENOENT/);
    expect(oldSpec).toContain("fal-ai/flux/schnell");

    // Again: nothing new to write, no second changeset, and check:generated is clean.
    const plan = await planRegeneration(root, "generate");
    expect(plan.endpoints.filter((e) => e.status !== "unchanged")).toEqual([]);
    expect(plan.removals).toEqual([]);
    expect(await staleOutputs(root, plan.outputs)).toEqual([]);
  });

  it("rename a path: the old endpoint removed (major, deprecated), the new one added (minor)", async () => {
    const root = await generatedRepo();
    await importSource(root, { input: await writeDoc(join(root, "incoming"), "a.yaml", schnellDoc()), provider: "acme" });
    await generate(root);
    await rm(join(root, ".changeset"), { recursive: true });
    // The vendor publishes the endpoint under a new route, in a new document.
    const moved = await importSource(root, {
      input: await writeDoc(join(root, "incoming"), "b.yaml", schnellDoc("/fal-ai/flux/schnell-v2")),
      provider: "acme",
    });
    expect(moved.file).toBe("specs/sources/acme/flux-schnell-v2.yaml");
    expect(moved.replaced).toEqual([]);
    expect(moved.endpoints.map((e) => [e.id, e.status])).toEqual([["fal-ai/flux/schnell-v2", "new"]]);
    // The old document still describes the old route until it is removed, as the vendor did.
    await rm(join(root, "specs/sources/acme/flux-schnell.yaml"));
    const provenance = join(root, "specs/sources/acme/provenance.yaml");
    const recorded = parse(await readFile(provenance, "utf8")) as { provider: string; files: Record<string, unknown> };
    delete recorded.files["flux-schnell.yaml"];
    await writeFile(provenance, JSON.stringify(recorded));

    const endpoints = await generate(root);
    const byslug = Object.fromEntries(endpoints.filter((e) => e.status !== "unchanged").map((e) => [e.slug, [e.status, e.bump]]));
    expect(byslug).toEqual({ "flux-schnell": ["removed", "major"], "flux-schnell-v2": ["new", "minor"] });
    expect((await changesets(root)).map((f) => f.replace(/[0-9a-f]{8}\.md$/, ""))).toEqual(["flux-schnell-removed-", "flux-schnell-v2-"]);
    expect(JSON.parse(await readFile(join(root, "packages/flux-schnell/package.json"), "utf8")).deprecated).toBeTypeOf("string");
    expect(JSON.parse(await readFile(join(root, "packages/flux-schnell-v2/package.json"), "utf8")).deprecated).toBeUndefined();
  });

  it("an endpoint that comes back: its package is no longer deprecated", async () => {
    const root = await generatedRepo();
    const doc = await writeDoc(join(root, "incoming"), "a.yaml", schnellDoc());
    await importSource(root, { input: doc, provider: "acme" });
    await generate(root);
    await rm(join(root, "specs/sources/acme"), { recursive: true });
    await generate(root);
    await importSource(root, { input: doc, provider: "acme" });
    const endpoints = await generate(root);
    expect(endpoints.find((e) => e.slug === "flux-schnell")).toMatchObject({ status: "new", bump: "minor" });
    expect(JSON.parse(await readFile(join(root, "packages/flux-schnell/package.json"), "utf8")).deprecated).toBeUndefined();
    expect(await readFile(join(root, "packages/flux-schnell/README.md"), "utf8")).not.toContain("Deprecated");
  });
});

describe("specs:import", () => {
  it("a vendor doc that no longer parses: file:line, and nothing written (not even the document)", async () => {
    const root = await generatedRepo();
    const broken = (await readFile(join(root, "specs/sources/chainhub", LORA), "utf8")).replace("  title: ''", "  title: [unclosed");
    const incoming = await writeDoc(join(root, "incoming"), "export.md", broken);
    const before = await Promise.all((await listFiles(root)).map(async (f) => [f, await readFile(f, "utf8")]));
    await expect(importSource(root, { input: incoming, provider: "chainhub" })).rejects.toThrow(
      /incoming\/export\.md:\d+: YAML does not parse and cannot be repaired safely/,
    );
    const after = await Promise.all((await listFiles(root)).map(async (f) => [f, await readFile(f, "utf8")]));
    expect(after).toEqual(before);
  });

  it("a doc that parses but breaks a later step (two sources disagree): nothing written", async () => {
    const root = await generatedRepo();
    // kkiai says flux-lora's num_inference_steps go up to 12; chainhub says 50, and no overlay decides.
    const conflicting = schnellDoc("/fal-ai/flux-lora", "1-12");
    const incoming = await writeDoc(join(root, "incoming"), "lora.yaml", conflicting);
    const before = await listFiles(root);
    await expect(importSource(root, { input: incoming, provider: "kkiai" })).rejects.toThrow(/fal-ai\/flux-lora: sources disagree/);
    expect(await listFiles(root)).toEqual(before);
  });

  it("a new version of a recorded document: updated in place, provenance comments kept, changes reported", async () => {
    const root = await generatedRepo();
    const changed = (await readFile(join(root, "specs/sources/chainhub", LORA), "utf8")).replace("Range value: 1-50", "Range value: 1-30");
    const result = await importSource(root, {
      input: await writeDoc(join(root, "incoming"), "003_new.txt", changed),
      provider: "chainhub",
      origin: "vendor export, received as 003_new.txt",
    });
    expect(result).toMatchObject({ file: "specs/sources/chainhub/flux-lora.apifox.md", format: "apifox-markdown", status: "updated", replaced: [] });
    expect(result.endpoints).toEqual([expect.objectContaining({ id: "fal-ai/flux-lora", status: "changed", bump: "major" })]);
    expect(await readFile(join(root, result.file), "utf8")).toBe(changed);
    const provenance = await readFile(join(root, "specs/sources/chainhub/provenance.yaml"), "utf8");
    expect(provenance).toMatch(/^# Where each file in this folder came from/);
    expect((parse(provenance) as { files: Record<string, unknown> }).files[LORA]).toEqual({
      origin: "vendor export, received as 003_new.txt",
      format: "apifox-markdown",
      sha256: result.sha256,
    });
    // The pipeline accepts what the import recorded.
    await expect(planRegeneration(root, "generate")).resolves.toBeDefined();

    const again = await importSource(root, { input: join(root, result.file), provider: "chainhub" });
    expect(again.status).toBe("unchanged");
    expect(again.written).toEqual([]);
  });

  it("a URL: fetched when a network exists, a clear error when not", async () => {
    const root = await generatedRepo();
    const url = "https://vendor.example/exports/schnell.yaml";
    const offline = (() =>
      Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: new Error("getaddrinfo ENOTFOUND vendor.example") }))) as typeof fetch;
    await expect(importSource(root, { input: url, provider: "acme" }, { fetch: offline })).rejects.toThrow(
      "https://vendor.example/exports/schnell.yaml: cannot fetch (getaddrinfo ENOTFOUND vendor.example). Without a network, download the document and import the file instead.",
    );
    const notFound = (() => Promise.resolve(new Response("nope", { status: 404 }))) as typeof fetch;
    await expect(importSource(root, { input: url, provider: "acme" }, { fetch: notFound })).rejects.toThrow(/answered HTTP 404/);
    expect(await readdir(join(root, "specs/sources"))).not.toContain("acme");

    const online = (() => Promise.resolve(new Response(schnellDoc()))) as typeof fetch;
    const result = await importSource(root, { input: url, provider: "acme" }, { fetch: online });
    expect(result).toMatchObject({ file: "specs/sources/acme/flux-schnell.yaml", origin: url, status: "added" });
  });
});

describe("specs:diff against a git ref", () => {
  it("reports each endpoint's changes and bumps against the committed specs", async () => {
    const root = await generatedRepo();
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false", ...args], {
        cwd: root,
        stdio: "pipe",
        encoding: "utf8",
      });
    git("init", "-q");
    git("add", "specs");
    git("commit", "-qm", "base");
    await replaceSource(
      root,
      "chainhub",
      LORA,
      (await readFile(join(root, "specs/sources/chainhub", LORA), "utf8")).replace("Range value: 1-50", "Range value: 1-30"),
    );
    await importSource(root, { input: await writeDoc(join(root, "incoming"), "a.yaml", schnellDoc()), provider: "acme" });
    await generate(root);

    const { diffSpecSets, formatDiffReport, specsAtRef, specsInTree } = await import("../src/release/spec-diff.js");
    const diffs = diffSpecSets(await specsAtRef(root, "HEAD"), await specsInTree(root), "HEAD");
    expect(diffs.map((d) => [d.slug, d.status, d.bump])).toEqual([
      ["flux-1-dev-image-to-image", "unchanged", "none"],
      ["flux-lora", "changed", "major"],
      ["flux-lora-image-to-image", "unchanged", "none"],
      ["flux-schnell", "new", "minor"],
    ]);
    const report = formatDiffReport(diffs, "HEAD").join("\n");
    expect(report).toContain("fal-ai/flux-lora (@fluxkit/flux-lora): changed, major bump");
    expect(report).toContain("major  range-narrowed        Input.num_inference_steps: maximum 50 → 30: inputs that were valid are now rejected");
    expect(report).toContain("fal-ai/flux/schnell (@fluxkit/flux-schnell): new, minor bump");
    expect(report).toContain("unchanged: fal-ai/flux-1/dev/image-to-image, fal-ai/flux-lora/image-to-image");
    await expect(specsAtRef(root, "no-such-ref")).rejects.toThrow(/"no-such-ref" is not a commit/);
  });
});
