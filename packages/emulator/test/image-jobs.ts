/** Test helpers for jobs that make images: run one to its result, fetch and decode its files. */
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { expect } from "vitest";
import type { Emulator } from "../src/index.js";
import type { Client } from "./helpers.js";

export interface ImageOut {
  url: string;
  width: number;
  height: number;
  content_type: string;
}

export interface ImageResult {
  images: ImageOut[];
  seed: number;
  timings: { inference: number };
  has_nsfw_concepts: boolean[];
}

/** Submits, waits for the job and fetches its result; both answers must be 200. */
export async function run(emulator: Emulator, c: Client, path: string, input: Record<string, unknown>): Promise<ImageResult> {
  const submitted = await c.submit(path, input);
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
  await emulator.waitForJob(submitted.body.request_id);
  const result = await c.get(submitted.body.response_url);
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  return result.body as ImageResult;
}

/** Bytes and content type of an image URL (a data URI, or a file the emulator serves with 200). */
export async function download(url: string): Promise<{ bytes: Buffer; type: string | null }> {
  if (url.startsWith("data:")) {
    const [head = "", data = ""] = url.split(",", 2);
    return { bytes: Buffer.from(data, "base64"), type: head.slice(5).split(";")[0] ?? null };
  }
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return { bytes: Buffer.from(await response.arrayBuffer()), type: response.headers.get("content-type") };
}

/** Decodes PNG or JPEG bytes (a decoder error fails the test). */
export function decode(bytes: Buffer): { width: number; height: number; format: "png" | "jpeg" } {
  if (bytes[0] === 0x89) {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, format: "png" };
  }
  const img = jpeg.decode(bytes, { useTArray: true });
  return { width: img.width, height: img.height, format: "jpeg" };
}

/** A PNG of one colour, as a data URI: an input image for image-to-image endpoints. */
export function pngDataUri(width: number, height: number, rgba: readonly number[] = [200, 30, 30, 255]): string {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) png.data.set(rgba, i);
  return `data:image/png;base64,${PNG.sync.write(png).toString("base64")}`;
}
