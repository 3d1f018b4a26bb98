import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createEmulator, type Emulator } from "@fluxkit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cleanEnv, flux, magic, startFlux, tempDir, waitFor } from "./helpers.js";

assertBuilt();

describe("flux run --help: flags from the spec", () => {
  it("lists each endpoint's fields with types, enums, ranges, defaults and required", async () => {
    const cwd = await tempDir();
    const lora = await flux(["run", "flux-lora", "--help"], { cwd });
    expect(lora.code).toBe(0);
    expect(lora.stdout).toContain("--image-size <square_hd|square|portrait_4_3|portrait_16_9|landscape_4_3|landscape_16_9|WxH|json>");
    expect(lora.stdout).toContain("--loras <json>");
    expect(lora.stdout).toContain("--acceleration <none|regular>");
    expect(lora.stdout).not.toContain("Range value");
    expect(lora.stdout).toMatch(/--prompt <string>\n.*\(required\)/);
    expect(lora.stdout).toMatch(/--num-images <integer>\n.*range 1\.\.4/);
    expect(lora.stdout).toContain("--image <path|url|data-uri>");
    const dev = await flux(["run", "fal-ai/flux-1/dev/image-to-image", "--help"], { cwd });
    expect(dev.stdout).toContain("--acceleration <none|regular|high>");
    expect(dev.stdout).toMatch(/range 10\.\.50, default 40/);
    const endpoints = await flux(["endpoints"], { cwd });
    expect(endpoints.stdout).toMatch(/fal-ai\/flux-lora\/image-to-image\s+flux-lora-image-to-image\s+local, chainhub, kkiai, fal/);
  });
});

describe("flux run against an emulator", () => {
  let emulator: Emulator;
  let cwd: string;
  const run = (args: string[], env?: NodeJS.ProcessEnv) => flux(["run", ...args, "--base-url", emulator.url], { cwd, ...(env ? { env } : {}) });

  beforeAll(async () => {
    emulator = await createEmulator({ provider: "fal", latency: "instant" });
    cwd = await tempDir();
  });
  afterAll(() => emulator.close());

  it("rejects bad input with exit 2, every issue named by its flag, and sends nothing", async () => {
    emulator.resetStats();
    /** Exit 2, and stderr names each problem (a string it contains, or a pattern it matches). */
    const refused = async (args: string[], ...problems: (string | RegExp)[]) => {
      const { code, stderr } = await run(args);
      expect(code, stderr).toBe(2);
      for (const problem of problems) expect(stderr).toMatch(problem);
    };
    await refused(
      ["flux-lora", "--prompt", "x", "--num-images", "two", "--output-format", "gif"],
      '--num-images: expected an integer (got "two")',
      "--output-format: expected one of jpeg, png",
    );
    await refused(
      ["flux-lora", "--num-images", "9", "--num-inference-steps", "0"],
      "nothing was sent",
      "--prompt: is required",
      "--num-images: must be <= 4",
      "--num-inference-steps: must be >= 1",
    );
    await refused(["flux-lora-image-to-image", "--prompt", "x", "--image", "./missing.png"], /--image: no file at .*missing\.png/);
    await writeFile(join(cwd, "not-an-image.png"), "hello");
    await refused(["flux-lora-image-to-image", "--prompt", "x", "--image", "not-an-image.png"], "not a recognised image");
    await refused(["flux-lora", "--prompt", "x", "--colour", "red"], "--colour");
    // Flag type errors, schema violations and unknown flags together: 4 of 4, not the first one.
    await refused(
      ["flux-lora", "--num-images", "abc", "--num-inference-steps", "999", "--num-imgaes", "2"],
      "4 problems; nothing was sent",
      "Unknown option '--num-imgaes'. Did you mean --num-images?",
      '--num-images: expected an integer (got "abc")',
      "--prompt: is required",
      "--num-inference-steps: must be <= 50",
    );
    // A JSON value's unknown field is caught by the same check the queue runs before sending.
    await refused(
      ["flux-lora", "--prompt", "x", "--loras", '[{"path":"x","scael":1}]', "--timeout", "-1"],
      "2 problems",
      '--loras (loras.0.scael): is not an input field of fal-ai/flux-lora; did you mean "scale"?',
      '--timeout: expected a positive number, got "-1"',
    );
    expect(emulator.stats().requests.submit).toBe(0);
  });

  it("prints no progress on a non-TTY, downloads the images and writes the result JSON beside them", async () => {
    const out = join(cwd, "plain");
    const result = await run(["flux-lora", "--prompt", "a plain fox", "--out", out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const id = /request (\S+) completed/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    expect(await magic(join(out, `${id}-0.jpg`))).toBe("jpeg");
    const doc = JSON.parse(await readFile(join(out, `${id}.json`), "utf8"));
    expect(doc).toMatchObject({ request_id: id, endpoint: "fal-ai/flux-lora", files: [`${id}-0.jpg`] });
    expect(doc.output.images).toHaveLength(1);
  });

  it("--json prints one document: request id, files, output", async () => {
    const out = join(cwd, "json");
    const result = await run(["flux-lora", "--prompt", "a json fox", "--num-images", "2", "--output-format", "png", "--out", out, "--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const doc = JSON.parse(result.stdout);
    expect(doc.request_id).toEqual(expect.any(String));
    expect(doc.files).toEqual([join(out, `${doc.request_id}-0.png`), join(out, `${doc.request_id}-1.png`)]);
    for (const file of doc.files) expect(await magic(file)).toBe("png");
    expect(doc.output.images).toHaveLength(2);
    expect(JSON.parse(await readFile(join(out, `${doc.request_id}.json`), "utf8")).output).toEqual(doc.output);
  });

  it("decodes data-URI images (sync mode) and sends a local --image as a data URI", async () => {
    const out = join(cwd, "sync");
    const synced = JSON.parse((await run(["flux-lora", "--prompt", "a synced fox", "--sync-mode", "--output-format", "png", "--out", out, "--json"])).stdout);
    expect(synced.output.images[0].url).toMatch(/^data:image\/png;base64,/);
    expect(await magic(synced.files[0])).toBe("png");

    const edited = await run([
      "flux-lora-image-to-image",
      "--prompt",
      "an edited fox",
      "--image",
      synced.files[0],
      "--strength",
      "0.5",
      "--out",
      out,
      "--json",
    ]);
    expect(edited.code).toBe(0);
    const doc = JSON.parse(edited.stdout);
    expect(await magic(doc.files[0])).toBe("jpeg");
    // Image-to-image keeps the input's size: the file reached the server as a decodable image.
    expect(doc.output.images[0]).toMatchObject({ width: synced.output.images[0].width, height: synced.output.images[0].height });
  });

  it("takes every field fal takes: --loras as JSON, --acceleration, --seed, --image-size as WxH on image-to-image", async () => {
    const out = join(cwd, "all-fields");
    const source = JSON.parse(
      (await run(["flux-lora", "--prompt", "a source fox", "--image-size", "48x32", "--output-format", "png", "--out", out, "--json"])).stdout,
    );
    expect(source.output.images[0]).toMatchObject({ width: 48, height: 32 });
    const edited = await run([
      "flux-lora-image-to-image",
      "--prompt",
      "a styled fox",
      "--image",
      source.files[0],
      "--loras",
      '[{"path":"owner/style","scale":0.8}]',
      "--acceleration",
      "regular",
      "--seed",
      "7",
      "--image-size",
      "40x24",
      "--out",
      out,
      "--json",
    ]);
    expect(edited.code, edited.stderr).toBe(0);
    const doc = JSON.parse(edited.stdout);
    expect(doc.output).toMatchObject({ seed: 7, images: [{ width: 40, height: 24 }] });
    const bad = await run(["flux-lora-image-to-image", "--prompt", "x", "--image", source.files[0], "--loras", '[{"scale":1}]']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--loras (loras.0.path): is required");
  });

  it("--quiet prints only the image paths", async () => {
    const result = await run(["flux-lora", "--prompt", "a quiet fox", "--out", join(cwd, "quiet"), "--quiet"]);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(cwd, result.stdout.trim()))).toBe(true);
  });
});

describe("the default provider is the embedded emulator", () => {
  it("works offline with no token configured", async () => {
    const cwd = await tempDir();
    const result = await flux(["run", "flux-lora", "--prompt", "an offline fox", "--json"], { cwd, env: cleanEnv() });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.files[0].startsWith(join(cwd, "out"))).toBe(true);
    expect(await magic(doc.files[0])).toBe("jpeg");
  });

  it("explains a missing token (exit 3) and an ambiguous one (exit 2)", async () => {
    const cwd = await tempDir();
    const noKey = await flux(["run", "flux-lora", "--prompt", "x", "--provider", "fal"], { cwd });
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toContain("Set FAL_KEY (or FLUXKIT_TOKEN)");
    const generic = await flux(["run", "flux-lora", "--prompt", "x"], { cwd, env: cleanEnv({ FLUXKIT_TOKEN: "t" }) });
    expect(generic.code).toBe(2);
    expect(generic.stderr).toContain("no provider is chosen");
    const notOffered = await flux(["run", "flux-lora", "--prompt", "x", "--provider", "kkiai"], { cwd, env: cleanEnv({ KKIAI_TOKEN: "t" }) });
    expect(notOffered.code).toBe(2);
    expect(notOffered.stderr).toContain("not offered by kkiai");
  });
});

describe("exit codes for auth, timeout and Ctrl-C", () => {
  let emulator: Emulator;
  let cwd: string;
  beforeAll(async () => {
    emulator = await createEmulator({ provider: "fal", latency: "manual", token: "right-token" });
    cwd = await tempDir();
  });
  afterAll(() => emulator.close());
  const env = cleanEnv({ FLUXKIT_TOKEN: "right-token" });

  it("a refused token is exit 3", async () => {
    const result = await flux(["run", "flux-lora", "--prompt", "x", "--base-url", emulator.url], { cwd, env: cleanEnv({ FLUXKIT_TOKEN: "wrong-token" }) });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/401/);
  });

  it("a timeout is exit 5 and cancels the job within it", async () => {
    // Long enough for a cold process to submit; the job itself never finishes (manual latency).
    const result = await flux(["run", "flux-lora", "--prompt", "a slow fox", "--timeout", "3", "--base-url", emulator.url], { cwd, env });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain("The server job was cancelled (CANCELLATION_REQUESTED)");
    const id = /request (\S+?)\)/.exec(result.stderr)?.[1] ?? "";
    expect(emulator.job(id)?.cancelled).toBe(true);
  });

  it("Ctrl-C cancels the running job on the server and exits 130", async () => {
    const before = emulator.stats().jobs.IN_PROGRESS;
    const running = startFlux(["run", "flux-lora", "--prompt", "an interrupted fox", "--base-url", emulator.url], { cwd, env });
    await waitFor("the job to be running", () => emulator.stats().jobs.IN_PROGRESS > before);
    running.child.kill("SIGINT");
    const exit = await running.exited;
    expect(exit.code).toBe(130);
    const id = /request (\S+) on/.exec(exit.stderr)?.[1] ?? "";
    expect(exit.stderr).toContain("CANCELLATION_REQUESTED");
    expect(emulator.job(id)).toMatchObject({ cancelled: true, state: "COMPLETED" });
    expect(emulator.stats().requests.cancel).toBeGreaterThanOrEqual(1);
  });
});
