import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { JsonObject } from "../src/json.js";
import { normalize } from "../src/normalize/normalize.js";
import { planOutputs, staleOutputs, writeOutputs } from "../src/generate/outputs.js";
import { listFiles, REPO, replaceSource, scratchRepo, testRepo } from "./helpers.js";

describe("normalize (the real specs)", () => {
  it("is deterministic: two runs give identical bytes", async () => {
    const [a, b] = await Promise.all([planOutputs(REPO), planOutputs(REPO)]);
    expect(a.outputs).toEqual(b.outputs);
  });

  it("every normalized spec passes a third-party OpenAPI 3.1 validator", async () => {
    const { endpoints } = await normalize(REPO);
    expect(endpoints.map((e) => e.names.slug)).toEqual(["flux-1-dev-image-to-image", "flux-lora", "flux-lora-image-to-image"]);
    for (const endpoint of endpoints) {
      const result = await validate(parse(endpoint.yaml));
      expect(result.valid, `${endpoint.path}: ${JSON.stringify(result)}`).toBe(true);
    }
  });

  it("merges 000 + 002 into one endpoint served by chainhub, kkiai and fal", async () => {
    const { endpoints } = await normalize(REPO);
    const i2i = endpoints.find((e) => e.names.slug === "flux-lora-image-to-image")!;
    expect(i2i.sources).toEqual(["specs/sources/chainhub/flux-lora-image-to-image.apifox.md", "specs/sources/kkiai/flux-lora-image-to-image.docs.txt"]);
    expect((i2i.doc.servers as JsonObject[]).map((s) => [s["x-fluxkit-provider"], s.url, s["x-fluxkit-auth"]])).toEqual([
      ["chainhub", "https://api.chainhub.tech", "bearer"],
      ["kkiai", "https://www.kkiai.com", "bearer"],
      ["fal", "https://queue.fal.run", "key"],
    ]);
  });

  it("fixes the malformed server URL and drops the vendor's `default` enum values", async () => {
    const { endpoints } = await normalize(REPO);
    const dev = endpoints.find((e) => e.names.slug === "flux-1-dev-image-to-image")!;
    expect((dev.doc.servers as JsonObject[])[0]!.url).toBe("https://api.chainhub.tech");
    const props = ((dev.doc.components as JsonObject).schemas as JsonObject).Input as JsonObject;
    expect((props.properties as JsonObject).output_format).toMatchObject({ enum: ["png", "jpeg"], default: "jpeg" });
    // The chainhub export says "regular"; fal's own schema (the upstream of record) says "none".
    expect((props.properties as JsonObject).acceleration).toMatchObject({ enum: ["none", "regular", "high"], default: "none" });
    expect(props.properties).toHaveProperty("seed");
    expect(dev.yaml).not.toContain("x-apifox");
    expect(dev.yaml).not.toContain("flux-pro");
  });
});

describe("pipeline failures write nothing", () => {
  async function expectFailsCleanly(root: string, message: RegExp): Promise<void> {
    const before = await Promise.all((await listFiles(root)).map(async (f) => [f, await readFile(f, "utf8")]));
    await expect(planOutputs(root).then(({ outputs }) => writeOutputs(root, outputs))).rejects.toThrow(message);
    const after = await Promise.all((await listFiles(root)).map(async (f) => [f, await readFile(f, "utf8")]));
    expect(after).toEqual(before);
  }

  it("a vendor doc that cannot be repaired: file:line and the parser's message", async () => {
    const root = await testRepo();
    const original = await readFile(join(root, "specs/sources/chainhub/flux-lora.apifox.md"), "utf8");
    await replaceSource(root, "chainhub", "flux-lora.apifox.md", original.replace("  title: ''", "  title: [unclosed"));
    await expectFailsCleanly(root, /specs\/sources\/chainhub\/flux-lora\.apifox\.md:\d+: YAML does not parse/);
  });

  it("a source whose bytes changed without new provenance", async () => {
    const root = await testRepo();
    await writeFile(join(root, "specs/sources/chainhub/flux-lora.apifox.md"), "tampered");
    await expectFailsCleanly(root, /sha256 is [0-9a-f]+, provenance records/);
  });

  it("a source nobody recorded", async () => {
    const root = await testRepo();
    await writeFile(join(root, "specs/sources/kkiai/stray.yaml"), "openapi: 3.0.1\n");
    await expectFailsCleanly(root, /stray\.yaml: not listed in/);
  });

  it("an overlay action that matches nothing", async () => {
    const root = await testRepo();
    const file = join(root, "specs/overlays/flux-lora.overlay.yaml");
    await writeFile(file, (await readFile(file, "utf8")).replace("Input.properties.image_size.enum", "Input.properties.image_sizes.enum"));
    await expectFailsCleanly(root, /flux-lora\.overlay\.yaml: actions\[0\] .* matches nothing/);
  });

  it("an overlay for an endpoint no source describes", async () => {
    const root = await testRepo();
    await writeFile(
      join(root, "specs/overlays/flux-pro.overlay.yaml"),
      "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - {target: $.info, description: d, x-source: s, update: {x: 1}}\n",
    );
    await expectFailsCleanly(root, /flux-pro\.overlay\.yaml: applies to flux-pro, which no source describes/);
  });

  it("two sources that disagree, with no overlay deciding", async () => {
    const root = await testRepo();
    const yaml = (steps: string) =>
      `openapi: 3.0.1\ninfo: {title: '', version: 1.0.0}\nservers: [{url: 'https://api.chainhub.tech'}]\npaths:\n  /fal-ai/flux-lora:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [prompt]\n              properties:\n                prompt: {type: string}\n                num_inference_steps: {type: integer, maximum: ${steps}}\n      responses: {'200': {description: ''}}\n`;
    await replaceSource(root, "kkiai", "flux-lora.yaml", yaml("12"), "yaml");
    await expectFailsCleanly(
      root,
      /fal-ai\/flux-lora: sources disagree and no overlay decides:\n\s+\/components\/schemas\/Input\/properties\/num_inference_steps\/maximum/,
    );
  });
});

describe("writing and checking", () => {
  it("writes only what changed, and check notices hand edits to generated files", async () => {
    const root = await testRepo();
    const first = await planOutputs(root);
    const written = await writeOutputs(root, first.outputs);
    // The scratch copy already holds the committed normalized specs, so only packages are new.
    expect(written).toEqual(first.outputs.map((o) => o.path).filter((p) => p.startsWith("packages/")));
    expect(await writeOutputs(root, (await planOutputs(root)).outputs)).toEqual([]);
    const target = join(root, "packages/flux-lora/src/generated/endpoint.ts");
    await writeFile(target, `${await readFile(target, "utf8")}// a hand edit\n`);
    expect(await staleOutputs(root, (await planOutputs(root)).outputs)).toEqual(["packages/flux-lora/src/generated/endpoint.ts"]);
  });

  it("keeps hand-added package.json fields and the changesets-owned version", async () => {
    const root = await testRepo();
    await writeOutputs(root, (await planOutputs(root)).outputs);
    const pkgPath = join(root, "packages/flux-lora/package.json");
    const pkg = JSON.parse(await readFile(pkgPath, "utf8"));
    await writeFile(pkgPath, JSON.stringify({ ...pkg, version: "1.4.0", homepage: "https://example.com" }, null, 2));
    await writeOutputs(root, (await planOutputs(root)).outputs);
    const merged = JSON.parse(await readFile(pkgPath, "utf8"));
    expect(merged).toMatchObject({ name: "@fluxkit/flux-lora", version: "1.4.0", homepage: "https://example.com" });
  });
});

describe("conflicts resolved by an overlay", () => {
  it("passes once an overlay action writes the disputed value, with its reason", async () => {
    const root = await scratchRepo();
    try {
      const yaml = `openapi: 3.0.1\ninfo: {title: '', version: 1.0.0}\nservers: [{url: 'https://www.kkiai.com'}]\npaths:\n  /fal-ai/flux-lora:\n    post:\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [prompt]\n              properties:\n                prompt: {type: string}\n                num_inference_steps: {type: integer, maximum: 12}\n      responses: {'200': {description: ''}}\n`;
      await replaceSource(root, "kkiai", "flux-lora.yaml", yaml, "yaml");
      const overlayPath = join(root, "specs/overlays/flux-lora.overlay.yaml");
      await writeFile(
        overlayPath,
        `${await readFile(overlayPath, "utf8")}  - target: $.components.schemas.Input.properties.num_inference_steps\n    description: upstream allows 50\n    x-source: test\n    update:\n      maximum: 50\n`,
      );
      const { endpoints } = await normalize(root);
      const lora = endpoints.find((e) => e.names.slug === "flux-lora")!;
      expect(((((lora.doc.components as JsonObject).schemas as JsonObject).Input as JsonObject).properties as JsonObject).num_inference_steps).toMatchObject({
        maximum: 50,
      });
      expect((lora.doc.servers as JsonObject[]).map((s) => s["x-fluxkit-provider"])).toEqual(["chainhub", "kkiai", "fal"]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
