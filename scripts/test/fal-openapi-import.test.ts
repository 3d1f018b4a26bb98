/**
 * Adding a fal endpoint from fal's own queue OpenAPI, as a user with a network would
 * (`pnpm specs:import 'https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=fal-ai/flux/schnell'`),
 * here from a fixture that follows those documents' structure, in a scratch copy of the repo:
 * the document is recognised, a new package is generated, built with tsc, and runs a job
 * through @fluxkit/queue against the emulator serving the catalog data generated for it.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, readFile, realpath, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { createEmulator, type EndpointSpecData } from "@fluxkit/emulator";
import { createQueueClient, type EndpointDefinition } from "@fluxkit/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { detectFormat, importSource, type ImportResult } from "../src/normalize/import-source.js";
import type { JsonObject } from "../src/json.js";
import { writeOutputs } from "../src/generate/outputs.js";
import { planRegeneration } from "../src/generate/regenerate.js";
import { REPO, scratchRepo } from "./helpers.js";

const FIXTURE = new URL("./fixtures/fal-flux-schnell.openapi.json", import.meta.url).pathname;
const run = promisify(execFile);

let root: string;
let imported: ImportResult;

beforeAll(async () => {
  root = await scratchRepo();
  await copyFile(join(REPO, "tsconfig.base.json"), join(root, "tsconfig.base.json"));
  // No --format and no --provider: the document says what it is, and it is fal's own.
  imported = await importSource(root, { input: FIXTURE });
  const plan = await planRegeneration(root, "generate");
  await writeOutputs(root, plan.outputs, plan.removals);
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("specs:import of fal's queue OpenAPI", () => {
  it("is recognised by its content and stored under fal with its provenance", async () => {
    expect(detectFormat("openapi.json", await readFile(FIXTURE, "utf8"))).toBe("fal-openapi");
    expect(imported).toMatchObject({ file: "specs/sources/fal/flux-schnell.fal-openapi.json", format: "fal-openapi", status: "added" });
    expect(imported.endpoints.map((e) => [e.id, e.status, e.packageName])).toEqual([["fal-ai/flux/schnell", "new", "@fluxkit/flux-schnell"]]);
    const provenance = parse(await readFile(join(root, "specs/sources/fal/provenance.yaml"), "utf8")) as JsonObject;
    expect(provenance).toMatchObject({ provider: "fal", files: { "flux-schnell.fal-openapi.json": { format: "fal-openapi" } } });
  });

  it("normalizes to our shape: Input and Output, our queue routes under owner/app, fal's server with Key auth", async () => {
    const spec = parse(await readFile(join(root, "specs/normalized/flux-schnell.yaml"), "utf8")) as JsonObject;
    expect(spec.servers).toEqual([
      { url: "https://queue.fal.run", description: "fal queue (Authorization: Key <FAL_KEY>)", "x-fluxkit-provider": "fal", "x-fluxkit-auth": "key" },
    ]);
    expect(Object.keys(spec.paths as JsonObject).sort()).toEqual([
      "/fal-ai/flux/requests/{request_id}",
      "/fal-ai/flux/requests/{request_id}/cancel",
      "/fal-ai/flux/requests/{request_id}/status",
      "/fal-ai/flux/requests/{request_id}/status/stream",
      "/fal-ai/flux/schnell",
    ]);
    const schemas = (spec.components as JsonObject).schemas as JsonObject;
    expect(Object.keys(schemas)).toEqual(expect.arrayContaining(["Input", "Output", "ImageSize", "Image", "QueueSubmitResponse", "ValidationError"]));
    expect(Object.keys(schemas)).not.toContain("FluxSchnellInput");
    // fal's own QueueStatus is replaced by the protocol's.
    expect(schemas.QueueStatus).toHaveProperty("oneOf");
    expect((schemas.ImageSize as JsonObject).properties).toMatchObject({ width: { exclusiveMinimum: 0, maximum: 14142, default: 512, type: "integer" } });
    expect(Object.keys((schemas.Input as JsonObject).properties as JsonObject)).toEqual([
      "prompt",
      "image_size",
      "num_inference_steps",
      "seed",
      "guidance_scale",
      "sync_mode",
      "num_images",
      "enable_safety_checker",
      "output_format",
      "acceleration",
    ]);
    expect(JSON.stringify(spec)).not.toContain('"title":"Num Images"');
  });

  it("makes a new package that builds and runs a job against the emulator", async () => {
    const dir = join(root, "packages/flux-schnell");
    // What `pnpm install` would link: the package's dependencies.
    await mkdir(join(dir, "node_modules/@fluxkit"), { recursive: true });
    await symlink(await realpath(join(REPO, "packages/flux-lora/node_modules/openapi-fetch")), join(dir, "node_modules/openapi-fetch"));
    await symlink(join(REPO, "packages/protocol"), join(dir, "node_modules/@fluxkit/protocol"));
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    await run(process.execPath, [tsc, "-p", join(dir, "tsconfig.build.json")], { timeout: 120_000 });
    const pkg = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name: string; main: string };
    expect(pkg.name).toBe("@fluxkit/flux-schnell");
    const module = (await import(pathToFileURL(join(dir, pkg.main)).href)) as {
      fluxSchnell: EndpointDefinition<{ prompt: string }, { images: { width: number; height: number }[]; seed: number }>;
    };
    const endpoint = module.fluxSchnell;
    expect(endpoint).toMatchObject({ id: "fal-ai/flux/schnell", app: "fal-ai/flux", submitPath: "/fal-ai/flux/schnell" });
    expect(endpoint.validateInput({ prompt: "x", image_size: { width: 0 } })).toEqual([expect.objectContaining({ path: "image_size" })]);

    // The emulator serves the catalog data the same regeneration wrote: no emulator code is involved.
    const catalog = (await import(pathToFileURL(join(root, "packages/endpoints/src/generated/specs.ts")).href)) as { endpointSpecs: EndpointSpecData[] };
    expect(catalog.endpointSpecs.map((e) => e.id)).toContain("fal-ai/flux/schnell");
    const emulator = await createEmulator({ specs: catalog.endpointSpecs, provider: "fal", latency: "instant" });
    try {
      const queue = createQueueClient({ provider: { baseUrl: emulator.url, auth: "key" }, token: "test-key" });
      const input = { prompt: "a lighthouse", image_size: { width: 96 }, seed: 5, sync_mode: true };
      const { data, requestId } = await queue.run(endpoint, input);
      expect(requestId).toEqual(expect.any(String));
      expect(data).toMatchObject({ seed: 5, images: [{ width: 96, height: 512 }] });
    } finally {
      await emulator.close();
    }
  });
});
