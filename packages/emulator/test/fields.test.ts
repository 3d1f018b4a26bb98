/**
 * Every input field as fal takes it: explicit sizes with a side left out, image-to-image sizes,
 * the fields that change the picture, and fal's 422 for what fal rejects.
 */
import { describe, expect, it } from "vitest";
import type { Emulator } from "../src/index.js";
import { DEV_I2I, LORA, LORA_I2I, SMALL, client, start } from "./helpers.js";
import { decode, download, pngDataUri, run } from "./image-jobs.js";

describe("image_size as fal takes it", () => {
  it("an explicit size is used as given; a side left out is 512, like fal's ImageSize default", async () => {
    const emulator = await start();
    const c = client(emulator);
    const both = await run(emulator, c, LORA, { prompt: "p", image_size: { width: 72, height: 40 }, sync_mode: true });
    expect(both.images[0]).toMatchObject({ width: 72, height: 40 });
    expect(decode((await download(both.images[0]!.url)).bytes)).toMatchObject({ width: 72, height: 40 });
    const widthOnly = await run(emulator, c, LORA, { prompt: "p", image_size: { width: 80 }, sync_mode: true });
    expect(widthOnly.images[0]).toMatchObject({ width: 80, height: 512 });
    expect(decode((await download(widthOnly.images[0]!.url)).bytes)).toMatchObject({ width: 80, height: 512 });
    const heightOnly = await run(emulator, c, LORA, { prompt: "p", image_size: { height: 24 } });
    expect(heightOnly.images[0]).toMatchObject({ width: 512, height: 24 });
  });

  it("image-to-image without image_size keeps the input image's size; with it, takes the size asked for", async () => {
    const emulator = await start();
    const c = client(emulator);
    const source = pngDataUri(36, 28);
    const kept = await run(emulator, c, LORA_I2I, { prompt: "p", image_url: source, sync_mode: true });
    expect(kept.images[0]).toMatchObject({ width: 36, height: 28 });
    expect(decode((await download(kept.images[0]!.url)).bytes)).toMatchObject({ width: 36, height: 28 });
    const explicit = await run(emulator, c, LORA_I2I, { prompt: "p", image_url: source, image_size: SMALL, sync_mode: true });
    expect(explicit.images[0]).toMatchObject(SMALL);
    const preset = await run(emulator, c, LORA_I2I, { prompt: "p", image_url: source, image_size: "square" });
    expect(preset.images[0]).toMatchObject({ width: 512, height: 512 });
    const dev = await run(emulator, c, DEV_I2I, { prompt: "p", image_url: source, sync_mode: true });
    expect(dev.images[0]).toMatchObject({ width: 36, height: 28 });
  });
});

describe("the fields that shape the picture", () => {
  const base = { prompt: "a fox", image_size: SMALL, seed: 7, sync_mode: true, output_format: "png" };

  it("the same seed and input give the same bytes, on any emulator; another seed, LoRA or step count gives other bytes", async () => {
    const one = await start({ seed: 1 });
    const two = await start({ seed: 2 });
    const url = async (e: Emulator, input: Record<string, unknown>) => (await run(e, client(e), LORA, input)).images[0]!.url;
    const reference = await url(one, { ...base, loras: [{ path: "owner/style", scale: 0.7 }] });
    expect(await url(two, { ...base, loras: [{ path: "owner/style", scale: 0.7 }] })).toBe(reference);
    expect(await url(one, { ...base, seed: 8, loras: [{ path: "owner/style", scale: 0.7 }] })).not.toBe(reference);
    expect(await url(one, { ...base, loras: [{ path: "owner/style", scale: 0.9 }] })).not.toBe(reference);
    expect(await url(one, { ...base, loras: [{ path: "owner/style", scale: 0.7 }], num_inference_steps: 12 })).not.toBe(reference);
    // A field set to its default is the same input as the field left out.
    expect(await url(one, { ...base, loras: [{ path: "owner/style", scale: 0.7 }], num_inference_steps: 28, acceleration: "none" })).toBe(reference);
  });

  it("num_images gives that many images, each different; output_format decides the bytes and the content type", async () => {
    const emulator = await start();
    const c = client(emulator);
    const three = await run(emulator, c, LORA, { ...base, num_images: 3 });
    expect(three.images).toHaveLength(3);
    expect(new Set(three.images.map((i) => i.url)).size).toBe(3);
    for (const format of ["png", "jpeg"] as const) {
      for (const sync_mode of [true, false]) {
        const out = await run(emulator, c, LORA, { ...base, output_format: format, sync_mode });
        const { bytes, type } = await download(out.images[0]!.url);
        expect(out.images[0]!.content_type).toBe(`image/${format}`);
        expect(type).toBe(`image/${format}`);
        expect(out.images[0]!.url.startsWith("data:")).toBe(sync_mode);
        expect(format === "png" ? bytes.subarray(0, 4).toString("latin1") : bytes.subarray(0, 2).toString("hex")).toBe(format === "png" ? "\x89PNG" : "ffd8");
      }
    }
  });
});

describe("what fal rejects gets fal's 422", () => {
  it("enum values, explicit sizes, LoRA weights and ranges, each with loc, msg, type and ctx where fal gives one", async () => {
    const emulator = await start();
    const c = client(emulator);
    const r = await c.submit(LORA, {
      prompt: "x",
      acceleration: "high",
      loras: [{ scale: 1 }],
      num_inference_steps: 51,
      output_format: "webp",
    });
    expect(r.status).toBe(422);
    const byLoc = Object.fromEntries((r.body.detail as { loc: (string | number)[] }[]).map((d) => [d.loc.join("."), d]));
    expect(byLoc["body.acceleration"]).toEqual({
      loc: ["body", "acceleration"],
      msg: "Input should be 'none' or 'regular'",
      type: "enum",
      ctx: { expected: "'none' or 'regular'" },
    });
    expect(byLoc["body.loras.0.path"]).toMatchObject({ type: "missing", msg: "Field required" });
    expect(byLoc["body.num_inference_steps"]).toMatchObject({ type: "less_than_equal", ctx: { le: 50 } });
    expect(byLoc["body.output_format"]).toMatchObject({ type: "enum", ctx: { expected: "'jpeg' or 'png'" } });
    expect(emulator.validateSchema("fal-ai/flux-lora", "ValidationError", r.body)).toEqual([]);

    const zero = await c.submit(LORA, { prompt: "x", image_size: { width: 0 } });
    expect(zero.status).toBe(422);
    expect(zero.body.detail[0]).toMatchObject({ loc: ["body", "image_size"], type: "union_error" });
    expect(zero.body.detail[0].msg).toContain("width: Input should be greater than 0");
    const tooWide = await c.submit(LORA_I2I, { prompt: "x", image_url: pngDataUri(4, 4), image_size: { width: 14143 } });
    expect(tooWide.status).toBe(422);
    expect(tooWide.body.detail[0].msg).toContain("less than or equal to 14142");
    // fal's flux-1/dev image-to-image does take "high".
    const high = await c.submit(DEV_I2I, { prompt: "x", image_url: pngDataUri(4, 4), acceleration: "high" });
    expect(high.status).toBe(200);
  });
});
