/**
 * Real, cheap images: a deterministic pattern (from prompt, seed and index) encoded as PNG or
 * JPEG, optionally blended over a decoded input image for image-to-image endpoints.
 */
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { createHash } from "node:crypto";

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/**
 * fal's preset names and the dimensions it renders them at, as fal's docs list them
 * (https://docs.fal.ai/documentation/model-apis/model-arguments, "image_size").
 */
export const IMAGE_SIZE_PRESETS: Readonly<Record<string, ImageSize>> = {
  square_hd: { width: 1024, height: 1024 },
  square: { width: 512, height: 512 },
  portrait_4_3: { width: 768, height: 1024 },
  portrait_16_9: { width: 576, height: 1024 },
  landscape_4_3: { width: 1024, height: 768 },
  landscape_16_9: { width: 1024, height: 576 },
};

export const DEFAULT_SIZE: ImageSize = { width: 1024, height: 768 };

/** Above this the emulator refuses to render (memory and time), with a clear 422. */
export const MAX_PIXELS = 16 * 1024 * 1024;

export type OutputFormat = "jpeg" | "png";

export const CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = { jpeg: "image/jpeg", png: "image/png" };

/** RGBA pixels, 4 bytes per pixel. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export class ImageDecodeError extends Error {
  override readonly name = "ImageDecodeError";
}

/**
 * The pixel size `image_size` asks for: a preset's dimensions, or an explicit size as given,
 * a side left out taking its default (fal: `{ width: 800 }` is 800×512).
 */
export function sizeFromInput(value: unknown, sides: ImageSize = { width: 512, height: 512 }): ImageSize | undefined {
  if (typeof value === "string") return IMAGE_SIZE_PRESETS[value];
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const { width, height } = value as { width?: unknown; height?: unknown };
    const w = width ?? sides.width;
    const h = height ?? sides.height;
    if (typeof w === "number" && typeof h === "number") return { width: w, height: h };
  }
  return undefined;
}

export function parseDataUri(uri: string): { mime: string; bytes: Buffer } | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(uri);
  if (match === null) return undefined;
  const base64 = (match[2] ?? "").split(";").includes("base64");
  const payload = match[3] ?? "";
  return {
    mime: match[1] || "text/plain",
    bytes: base64 ? Buffer.from(payload, "base64") : Buffer.from(decodeURIComponent(payload), "latin1"),
  };
}

export function toDataUri(bytes: Uint8Array, contentType: string): string {
  return `data:${contentType};base64,${Buffer.from(bytes).toString("base64")}`;
}

/** PNG or JPEG by their magic bytes; anything else is refused. */
export function decodeImage(bytes: Uint8Array): RawImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buffer.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
      const png = PNG.sync.read(buffer);
      return { width: png.width, height: png.height, data: png.data };
    }
    if (buffer[0] === 0xff && buffer[1] === 0xd8) {
      const img = jpeg.decode(buffer, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 64, maxMemoryUsageInMB: 512 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (error) {
    throw new ImageDecodeError(`the image could not be decoded (${(error as Error).message})`);
  }
  throw new ImageDecodeError("the image is neither PNG nor JPEG (the emulator decodes those two)");
}

export interface RenderRequest {
  readonly size: ImageSize;
  readonly format: OutputFormat;
  readonly prompt: string;
  readonly seed: number;
  readonly index: number;
  /** Everything else that would change the picture (loras, steps, guidance, …), as canonical JSON. */
  readonly variant?: string;
  /** Image-to-image: the input, resampled to `size` and blended with the pattern by `strength`. */
  readonly source?: RawImage;
  readonly strength?: number;
}

/** Encoded image bytes; the same request always gives the same bytes. */
export function renderImage(request: RenderRequest): Buffer {
  return encodeImage(renderPixels(request), request.format);
}

export function encodeImage(image: RawImage, format: OutputFormat): Buffer {
  const { width, height } = image;
  const data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  if (format === "png") {
    const png = new PNG({ width, height });
    png.data = data;
    return PNG.sync.write(png);
  }
  return jpeg.encode({ width, height, data }, 85).data;
}

/** RGBA pixels of the deterministic pattern (blended over `source` when given). */
export function renderPixels(request: Omit<RenderRequest, "format">): RawImage {
  const { width, height } = request.size;
  const digest = createHash("sha256")
    .update(`${request.prompt}\u0000${request.seed}\u0000${request.index}${request.variant ? `\u0000${request.variant}` : ""}`)
    .digest();
  const c1 = [digest[0] ?? 0, digest[1] ?? 0, digest[2] ?? 0];
  const c2 = [digest[3] ?? 0, digest[4] ?? 0, digest[5] ?? 0];
  const stripe = 8 + ((digest[6] ?? 0) % 56);
  const strength = request.strength ?? 1;
  const source = request.source;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = source === undefined ? 0 : Math.min(source.height - 1, Math.floor((y * source.height) / height));
    for (let x = 0; x < width; x++) {
      // A diagonal gradient between two prompt-derived colours, with faint stripes.
      const t = (x / Math.max(1, width - 1) + y / Math.max(1, height - 1)) / 2;
      const band = Math.floor((x + y) / stripe) % 2 === 0 ? 0 : 24;
      const o = (y * width + x) * 4;
      let s = -1;
      if (source !== undefined) {
        const sx = Math.min(source.width - 1, Math.floor((x * source.width) / width));
        s = (sy * source.width + sx) * 4;
      }
      for (let c = 0; c < 3; c++) {
        const pattern = Math.min(255, (c1[c] ?? 0) * (1 - t) + (c2[c] ?? 0) * t + band);
        const value = s < 0 ? pattern : (source?.data[s + c] ?? 0) * (1 - strength) + pattern * strength;
        data[o + c] = Math.round(value);
      }
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}
