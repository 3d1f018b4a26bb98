import { readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runPipeline } from "../src/generate/run-pipeline.js";
import { replaceSource, testRepo } from "./helpers.js";

async function generated(): Promise<string> {
  const root = await testRepo();
  expect((await runPipeline(root, "generate")).upToDate).toBe(false);
  return root;
}
describe("generate skips a run when nothing changed", () => {
  it("a second run with the same inputs and outputs does nothing", async () => {
    const root = await generated();
    expect(await runPipeline(root, "generate")).toEqual({ upToDate: true });
  });

  it("a changed vendor source runs the pipeline again", async () => {
    const root = await generated();
    const file = join(root, "specs/sources/chainhub/flux-lora.apifox.md");
    await replaceSource(root, "chainhub", "flux-lora.apifox.md", (await readFile(file, "utf8")).replace("Prompt words", "The prompt"));
    const run = await runPipeline(root, "generate");
    expect(run.upToDate).toBe(false);
    expect(!run.upToDate && run.changed).toContain("specs/normalized/flux-lora.yaml");
  });

  it("a hand edit to a generated file is noticed and undone", async () => {
    const root = await generated();
    const target = join(root, "packages/flux-lora/src/generated/endpoint.ts");
    const original = await readFile(target, "utf8");
    await writeFile(target, `${original}// edited\n`);
    const run = await runPipeline(root, "generate");
    expect(!run.upToDate && run.changed).toEqual(["packages/flux-lora/src/generated/endpoint.ts"]);
    expect(await readFile(target, "utf8")).toBe(original);
  });

  it("a deleted scaffold is noticed and recreated", async () => {
    const root = await generated();
    await unlink(join(root, "packages/flux-lora/src/index.ts"));
    const run = await runPipeline(root, "generate");
    expect(!run.upToDate && run.changed).toEqual(["packages/flux-lora/src/index.ts"]);
  });

  it("--force always runs", async () => {
    const root = await generated();
    const run = await runPipeline(root, "generate", { force: true });
    expect(run.upToDate).toBe(false);
    expect(!run.upToDate && run.changed).toEqual([]);
  });
});
