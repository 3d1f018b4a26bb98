/**
 * The upstream conformance check (`pnpm specs:upstream`): the real specs against the pinned
 * @fal-ai/client type map, and scratch copies where one side gains or loses a fact.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { parse } from "yaml";
import type { JsonObject } from "../src/json.js";
import { type Difference, applyDeviations, compareFacts, formatTable } from "../src/upstream/compare.js";
import { flatten } from "../src/upstream/facts.js";
import { FAL_OPENAPI_LIMITS } from "../src/upstream/fal-openapi.js";
import { installedTypeMap, readTypeMap, TYPE_MAP_LIMITS, typeMapDocument } from "../src/upstream/fal-type-map.js";
import { formatUpstreamReport, runUpstreamCheck } from "../src/upstream/check.js";
import { REPO, testRepo } from "./helpers.js";

/** A copy of the installed type map with `edit` applied, as another version would be. */
async function editedTypeMap(edit: (text: string) => string, version: string): Promise<{ file: string; version: string }> {
  const installed = await installedTypeMap();
  const original = await readFile(installed.file, "utf8");
  const text = edit(original);
  expect(text, "the edit must change the type map").not.toBe(original);
  const dir = await mkdtemp(join(tmpdir(), "fluxkit-typemap-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "endpoints.d.ts");
  await writeFile(file, text);
  return { file, version };
}

/** Replace one exact snippet of a real overlay in the scratch repo. */
async function editOverlay(root: string, name: string, from: string, to: string): Promise<void> {
  const path = join(root, "specs/overlays", name);
  const text = await readFile(path, "utf8");
  expect(text.includes(from), `${name} contains the snippet`).toBe(true);
  await writeFile(path, text.replace(from, to));
}

const rows = (differences: Difference[]) => differences.filter((d) => !d.deviation).map((d) => [d.endpoint, d.field, d.fact, d.upstream, d.ours]);

describe("the real specs against @fal-ai/client's type map", () => {
  it("conform: every difference is declared, none is stale, and the snapshot is the installed version's", async () => {
    const report = await runUpstreamCheck(REPO);
    const lines = formatUpstreamReport(report);
    expect(report.ok, lines.join("\n")).toBe(true);
    expect(report.endpoints.map((e) => [e.id, e.forms])).toEqual([
      ["fal-ai/flux-1/dev/image-to-image", ["@fal-ai/client@1.10.1"]],
      ["fal-ai/flux-lora", ["@fal-ai/client@1.10.1"]],
      ["fal-ai/flux-lora/image-to-image", ["@fal-ai/client@1.10.1"]],
    ]);
    // The one deliberate difference: seed also takes null.
    expect(report.differences.map((d) => [d.endpoint, d.field, d.fact, d.upstream, d.ours])).toEqual([
      ["fal-ai/flux-1/dev/image-to-image", "Input.seed", "type", "number", "null | number"],
      ["fal-ai/flux-lora", "Input.seed", "type", "number", "null | number"],
      ["fal-ai/flux-lora/image-to-image", "Input.seed", "type", "number", "null | number"],
    ]);
    expect(report.differences.every((d) => d.deviation?.file === "specs/overlays/flux-input.overlay.yaml")).toBe(true);
    expect(report.snapshot).toEqual({ recorded: "@fal-ai/client@1.10.1", moved: [], written: false });
    expect(lines).toContain("specs:upstream: ok");
  });

  it("reads the type map as fal's client states it: defaults, enums, optional sides of ImageSize, LoraWeight", async () => {
    const installed = await installedTypeMap();
    const map = await readTypeMap(installed.file, installed.version);
    const { facts } = flatten(typeMapDocument(map, "fal-ai/flux-lora")!.doc);
    expect(facts["Input.acceleration"]).toEqual({ required: false, type: ["string"], enum: ["none", "regular"], default: "none" });
    expect(facts["Input.image_size"]).toMatchObject({ required: false, type: ["object", "string"], default: "landscape_4_3" });
    expect(facts["Input.image_size.width"]).toEqual({ required: false, type: ["number"], default: 512 });
    expect(facts["Input.loras[].path"]).toEqual({ required: true, type: ["string"] });
    expect(facts["Input.prompt"]).toEqual({ required: true, type: ["string"] });
    const i2i = flatten(typeMapDocument(map, "fal-ai/flux-lora/image-to-image")!.doc).facts;
    // A file input (`string | Blob | File`) is a URL on the wire.
    expect(i2i["Input.image_url"]).toEqual({ required: true, type: ["string"] });
    expect(i2i["Input.image_size"]?.default).toBeUndefined();
    // Both ids of the dev image-to-image model are one type in 1.10.1.
    expect(flatten(typeMapDocument(map, "fal-ai/flux/dev/image-to-image")!.doc).facts).toEqual(
      flatten(typeMapDocument(map, "fal-ai/flux-1/dev/image-to-image")!.doc).facts,
    );
    expect(typeMapDocument(map, "fal-ai/no-such-endpoint")).toBeNull();
  });
});

describe("a field on one side only fails the check", () => {
  it("present upstream, missing from ours", async () => {
    const root = await testRepo();
    const typeMap = await editedTypeMap(
      (t) =>
        t.replace(
          "export type FluxLoraInput = {\n",
          "export type FluxLoraInput = {\n    /**\n     * What to keep out of the image.\n     */\n    negative_prompt?: string;\n",
        ),
      "1.10.1",
    );
    const report = await runUpstreamCheck(root, { typeMap });
    expect(report.ok).toBe(false);
    expect(rows(report.differences)).toEqual([["fal-ai/flux-lora", "Input.negative_prompt", "presence", "present", "—"]]);
    expect(formatUpstreamReport(report).join("\n")).toContain("| fal-ai/flux-lora | Input.negative_prompt | presence | present | — | UNDECLARED |");
  });

  it("present in ours, missing upstream (a nested field too)", async () => {
    const root = await testRepo();
    const typeMap = await editedTypeMap(
      (t) => t.replace("    /**\n     * If set to true, the embedding will be forced to be used.\n     */\n    force?: boolean;\n", ""),
      "1.10.1",
    );
    const report = await runUpstreamCheck(root, { typeMap });
    expect(report.ok).toBe(false);
    // LoraWeight is shared: both LoRA endpoints report it, nothing else moves.
    expect(rows(report.differences).filter((r) => r[1] === "Input.loras[].force")).toEqual([
      ["fal-ai/flux-lora", "Input.loras[].force", "presence", "—", "present"],
      ["fal-ai/flux-lora/image-to-image", "Input.loras[].force", "presence", "—", "present"],
    ]);
  });
});

describe("mutation: removing one fact from a real overlay fails the check, naming that fact", () => {
  it.each<[string, string, string, [string, string]]>([
    [
      "flux-lora-family.overlay.yaml",
      "        enum: [none, regular]\n        default: none\n",
      "        enum: [none, regular]\n",
      ["Input.acceleration", "default"],
    ],
    [
      "flux-lora-family.overlay.yaml",
      "            maximum: 14142\n            default: 512\n            description: The width",
      "            maximum: 14142\n            description: The width",
      ["Input.image_size.width", "default"],
    ],
    ["flux-lora-image-to-image.overlay.yaml", "        default: 0.85\n", "", ["Input.strength", "default"]],
    ["flux-1-dev-image-to-image.overlay.yaml", "        default: none\n", "", ["Input.acceleration", "default"]],
    [
      "flux-image-output.overlay.yaml",
      "          file_size:\n            type: integer\n            description: The size of the file in bytes.\n",
      "",
      ["Output.images[].file_size", "presence"],
    ],
  ])("%s: %j", async (overlay, from, to, [field, fact]) => {
    const root = await testRepo();
    await editOverlay(root, overlay, from, to);
    const report = await runUpstreamCheck(root);
    expect(report.ok).toBe(false);
    const undeclared = report.differences.filter((d) => !d.deviation);
    expect(undeclared.length).toBeGreaterThan(0);
    expect(undeclared.every((d) => d.field === field && d.fact === fact)).toBe(true);
    expect(formatUpstreamReport(report).join("\n")).toMatch(new RegExp(`\\| ${field.replace(/[[\]]/g, "\\$&")} \\| ${fact} \\|.*\\| UNDECLARED \\|`));
  });

  it("taking the deviation declaration away makes seed's null an undeclared difference", async () => {
    const root = await testRepo();
    const overlay = join(root, "specs/overlays/flux-input.overlay.yaml");
    const doc = parse(await readFile(overlay, "utf8")) as JsonObject;
    const actions = doc.actions as JsonObject[];
    delete actions[1]!["x-fluxkit-upstream-deviation"];
    await writeFile(overlay, JSON.stringify(doc));
    const report = await runUpstreamCheck(root);
    expect(rows(report.differences)).toEqual([
      ["fal-ai/flux-1/dev/image-to-image", "Input.seed", "type", "number", "null | number"],
      ["fal-ai/flux-lora", "Input.seed", "type", "number", "null | number"],
      ["fal-ai/flux-lora/image-to-image", "Input.seed", "type", "number", "null | number"],
    ]);
  });

  it("a declaration on an action that agrees with upstream is stale", async () => {
    const root = await testRepo();
    await editOverlay(
      root,
      "flux-lora-image-to-image.overlay.yaml",
      "    update:\n      image_size:",
      "    x-fluxkit-upstream-deviation: claims a difference that is not there\n    update:\n      image_size:",
    );
    const report = await runUpstreamCheck(root);
    expect(report.ok).toBe(false);
    expect(report.stale.map((s) => [s.endpoint, s.file])).toEqual([
      ["fal-ai/flux-lora/image-to-image", "specs/overlays/flux-lora-image-to-image.overlay.yaml"],
    ]);
    expect(formatUpstreamReport(report).join("\n")).toContain("but nothing it writes differs from upstream");
  });
});

describe("when the pinned version changes", () => {
  it("the report names exactly the facts that moved, and --update records them", async () => {
    const root = await testRepo();
    const typeMap = await editedTypeMap(
      (t) =>
        t
          .replace(
            "export type FluxLoraInput = {\n",
            "export type FluxLoraInput = {\n    /**\n     * What to keep out of the image.\n     */\n    negative_prompt?: string;\n",
          )
          .replace(
            'export type FluxLoraInput = {\n    /**\n     * What to keep out of the image.\n     */\n    negative_prompt?: string;\n    /**\n     * Acceleration level for image generation. \'regular\' balances speed and quality. Default value: `"none"`\n     */\n    acceleration?: "none" | "regular";',
            'export type FluxLoraInput = {\n    /**\n     * What to keep out of the image.\n     */\n    negative_prompt?: string;\n    /**\n     * Acceleration level for image generation. \'regular\' balances speed and quality. Default value: `"regular"`\n     */\n    acceleration?: "none" | "regular" | "high";',
          ),
      "1.11.0",
    );
    const report = await runUpstreamCheck(root, { typeMap });
    expect(report.ok).toBe(false);
    expect(report.snapshot.moved).toEqual([
      { endpoint: "fal-ai/flux-lora", field: "Input.acceleration", fact: "default", before: '"none"', after: '"regular"' },
      { endpoint: "fal-ai/flux-lora", field: "Input.acceleration", fact: "enum", before: '["none","regular"]', after: '["high","none","regular"]' },
      { endpoint: "fal-ai/flux-lora", field: "Input.negative_prompt", fact: "field", before: "—", after: "present" },
    ]);
    const text = formatUpstreamReport(report).join("\n");
    expect(text).toContain("recorded @fal-ai/client@1.10.1, installed @fal-ai/client@1.11.0; 3 facts moved:");
    expect(text).toContain('fal-ai/flux-lora Input.acceleration default: "none" → "regular"');
    // The same facts show where ours now differs.
    expect(rows(report.differences)).toEqual([
      ["fal-ai/flux-lora", "Input.negative_prompt", "presence", "present", "—"],
      ["fal-ai/flux-lora", "Input.acceleration", "enum", '["high","none","regular"]', '["none","regular"]'],
      ["fal-ai/flux-lora", "Input.acceleration", "default", '"regular"', '"none"'],
    ]);

    // Once recorded (after the overlays were reconciled), the same type map shows no movement.
    const updated = await runUpstreamCheck(root, { typeMap, update: true });
    expect(updated.snapshot.written).toBe(true);
    const again = await runUpstreamCheck(root, { typeMap });
    expect(again.snapshot).toEqual({ recorded: "@fal-ai/client@1.11.0", moved: [], written: false });
  });
});

describe("comparing facts", () => {
  const doc = (props: JsonObject, required: string[] = []): JsonObject => ({
    components: { schemas: { Input: { type: "object", properties: props, required }, Output: { type: "object", properties: {} } } },
  });

  it("ranges count only where the upstream form states them (fal's queue OpenAPI does, the type map does not)", () => {
    const upstream = flatten(doc({ steps: { type: "integer", minimum: 1, maximum: 50 } })).facts;
    const ours = flatten(doc({ steps: { type: "integer", minimum: 1, maximum: 30 } })).facts;
    expect(compareFacts("e", "f", FAL_OPENAPI_LIMITS, upstream, ours).differences.map((d) => [d.field, d.fact, d.upstream, d.ours])).toEqual([
      ["Input.steps", "maximum", "50", "30"],
    ]);
    expect(compareFacts("e", "f", TYPE_MAP_LIMITS, upstream, ours).differences).toEqual([]);
  });

  it("integer and number are one type for the type map, two for OpenAPI; false/0/[] defaults are unknown to the type map", () => {
    const upstream = flatten(doc({ n: { type: "number" }, sync: { type: "boolean" } })).facts;
    const ours = flatten(doc({ n: { type: "integer" }, sync: { type: "boolean", default: false } })).facts;
    expect(compareFacts("e", "f", TYPE_MAP_LIMITS, upstream, ours).differences).toEqual([]);
    expect(compareFacts("e", "f", FAL_OPENAPI_LIMITS, upstream, ours).differences.map((d) => [d.field, d.fact])).toEqual([
      ["Input.n", "type"],
      ["Input.sync", "default"],
    ]);
  });

  it("a deviation covers the facts its action wrote, nothing else", () => {
    const ours = flatten(doc({ seed: { type: ["integer", "null"] }, steps: { type: "integer", default: 30 } }));
    const upstream = flatten(doc({ seed: { type: "integer" }, steps: { type: "integer", default: 28 } })).facts;
    const { differences } = compareFacts("e", "f", FAL_OPENAPI_LIMITS, upstream, ours.facts);
    const deviation = { file: "o.yaml", action: 0, target: "$", reason: "null means random", pointers: ["/components/schemas/Input/properties/seed/type"] };
    expect(applyDeviations(differences, [deviation], ours.origins)).toEqual([]);
    expect(differences.map((d) => [d.field, d.fact, d.deviation?.reason])).toEqual([
      ["Input.seed", "type", "null means random"],
      ["Input.steps", "default", undefined],
    ]);
    expect(formatTable(differences).at(-1)).toBe("| e | Input.steps | default | 28 | 30 | UNDECLARED |");
  });
});

describe("fal's queue OpenAPI as an upstream form", () => {
  it("a stored fal-openapi source is compared too, with its ranges", async () => {
    const root = await testRepo();
    await cp(new URL("./fixtures/fal-flux-schnell.openapi.json", import.meta.url), join(root, "fixture.json"));
    const { importSource } = await import("../src/normalize/import-source.js");
    await importSource(root, { input: join(root, "fixture.json") });
    const report = await runUpstreamCheck(root, { update: true });
    const schnell = report.endpoints.find((e) => e.id === "fal-ai/flux/schnell")!;
    expect(schnell.forms).toEqual(["@fal-ai/client@1.10.1", "specs/sources/fal/flux-schnell.fal-openapi.json"]);
    expect(report.differences.filter((d) => d.endpoint === "fal-ai/flux/schnell")).toEqual([]);
    expect(report.ok, formatUpstreamReport(report).join("\n")).toBe(true);
  });
});
