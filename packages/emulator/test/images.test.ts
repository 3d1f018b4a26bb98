import { describe, expect, it } from "vitest";
import { IMAGE_SIZE_PRESETS } from "../src/index.js";
import { DEV_I2I, LORA, LORA_I2I, SMALL, client, start } from "./helpers.js";
import { decode, download, pngDataUri, run } from "./image-jobs.js";

describe("generated images", () => {
  it("are decodable files of the requested size and format, served by the emulator", async () => {
    const emulator = await start();
    const c = client(emulator);
    const png = await run(emulator, c, LORA, { prompt: "p", image_size: SMALL, output_format: "png", num_images: 2 });
    expect(png.images).toHaveLength(2);
    expect(png.has_nsfw_concepts).toEqual([false, false]);
    expect(png.timings.inference).toBeGreaterThan(0);
    for (const image of png.images) {
      expect(image).toMatchObject({ ...SMALL, content_type: "image/png" });
      expect(image.url.startsWith(`${emulator.url}/files/`)).toBe(true);
      const file = await download(image.url);
      expect(file.type).toBe("image/png");
      expect(decode(file.bytes)).toEqual({ ...SMALL, format: "png" });
    }
    expect(png.images[0]?.url).not.toBe(png.images[1]?.url);

    const jpg = await run(emulator, c, LORA, { prompt: "p", image_size: { width: 40, height: 24 } });
    expect(jpg.images[0]?.content_type).toBe("image/jpeg");
    expect(decode((await download(jpg.images[0]?.url ?? "")).bytes)).toEqual({ width: 40, height: 24, format: "jpeg" });
  });

  it("map image_size presets to fal's dimensions, landscape_4_3 by default", async () => {
    // As fal's docs list them (width x height), stated here apart from the table under test.
    const falDocs = "square_hd 1024x1024, square 512x512, portrait_4_3 768x1024, portrait_16_9 576x1024, landscape_4_3 1024x768, landscape_16_9 1024x576";
    expect(Object.entries(IMAGE_SIZE_PRESETS).map(([name, { width, height }]) => `${name} ${width}x${height}`)).toEqual(falDocs.split(", "));
    const emulator = await start();
    const c = client(emulator);
    const square = await run(emulator, c, LORA, { prompt: "p", image_size: "square", output_format: "png" });
    expect(decode((await download(square.images[0]?.url ?? "")).bytes)).toMatchObject({ width: 512, height: 512 });
    const byDefault = await run(emulator, c, LORA, { prompt: "p", sync_mode: true });
    expect(byDefault.images[0]).toMatchObject({ width: 1024, height: 768, content_type: "image/jpeg" });
    expect(decode((await download(byDefault.images[0]?.url ?? "")).bytes)).toMatchObject({ width: 1024, height: 768 });
  });

  it("come back as data URIs with sync_mode", async () => {
    const emulator = await start();
    const c = client(emulator);
    const out = await run(emulator, c, LORA, { prompt: "p", image_size: SMALL, sync_mode: true, output_format: "png" });
    expect(out.images[0]?.url.startsWith("data:image/png;base64,")).toBe(true);
    expect(decode((await download(out.images[0]?.url ?? "")).bytes)).toEqual({ ...SMALL, format: "png" });
  });

  it("are deterministic for the same input and seed, and differ for another seed", async () => {
    const first = await start({ seed: 1 });
    const second = await start({ seed: 2 });
    const input = { prompt: "same", image_size: SMALL, seed: 42, sync_mode: true };
    const a = await run(first, client(first), LORA, input);
    const b = await run(second, client(second), LORA, input);
    expect(a.seed).toBe(42);
    expect(a.images[0]?.url).toBe(b.images[0]?.url);
    const other = await run(first, client(first), LORA, { ...input, seed: 43 });
    expect(other.images[0]?.url).not.toBe(a.images[0]?.url);
  });

  it("draw an unspecified seed from the emulator's seed and return it", async () => {
    const one = await start({ seed: "run" });
    const two = await start({ seed: "run" });
    const input = { prompt: "unseeded", image_size: SMALL, sync_mode: true };
    const a = await run(one, client(one), LORA, input);
    const b = await run(two, client(two), LORA, input);
    expect(Number.isInteger(a.seed)).toBe(true);
    expect(b.seed).toBe(a.seed);
    expect(b.images[0]?.url).toBe(a.images[0]?.url);
  });
});

describe("image-to-image", () => {
  it("reads a data-URI input and keeps its size when the spec has no image_size", async () => {
    const emulator = await start();
    const c = client(emulator);
    const out = await run(emulator, c, DEV_I2I, { prompt: "p", image_url: pngDataUri(30, 20), output_format: "png", strength: 0.5 });
    expect(out.images[0]).toMatchObject({ width: 30, height: 20 });
    const file = await download(out.images[0]?.url ?? "");
    expect(decode(file.bytes)).toEqual({ width: 30, height: 20, format: "png" });
    // Derived from the input: another input gives another image.
    const other = await run(emulator, c, DEV_I2I, { prompt: "p", image_url: pngDataUri(30, 21), output_format: "png", strength: 0.5, seed: out.seed });
    expect(other.images[0]?.url).not.toBe(out.images[0]?.url);
  });

  it("reads an input served by the emulator itself (/files/...)", async () => {
    const emulator = await start();
    const c = client(emulator);
    const generated = await run(emulator, c, LORA, { prompt: "source", image_size: SMALL, output_format: "png" });
    const out = await run(emulator, c, LORA_I2I, { prompt: "p", image_url: generated.images[0]?.url });
    expect(out.images[0]).toMatchObject({ ...SMALL, content_type: "image/jpeg" });
  });

  it("answers 422 on image_url when the input cannot be decoded", async () => {
    const emulator = await start();
    const c = client(emulator);
    const bad = await c.submit(DEV_I2I, { prompt: "p", image_url: "data:image/png;base64,bm90IGFuIGltYWdl" });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0]).toMatchObject({ loc: ["body", "image_url"], type: "image_load_error" });
    const missing = await c.submit(DEV_I2I, { prompt: "p", image_url: `${emulator.url}/files/nothing.png` });
    expect(missing.status).toBe(422);
  });

  it("stands in for remote images offline, or refuses them when told to", async () => {
    const lenient = await start();
    const out = await run(lenient, client(lenient), DEV_I2I, { prompt: "p", image_url: "https://fal.media/files/x.png", sync_mode: true });
    expect(out.images[0]).toMatchObject({ width: 1024, height: 768 });
    const strict = await start({ remoteImages: "reject" });
    const refused = await client(strict).submit(DEV_I2I, { prompt: "p", image_url: "https://fal.media/files/x.png" });
    expect(refused.status).toBe(422);
    expect(refused.body.detail[0].msg).toContain("data URI");
  });
});
