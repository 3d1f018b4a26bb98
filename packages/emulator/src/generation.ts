/**
 * From a validated input to a generation plan (size, format, count, seed, source image), and from
 * a plan to fal's Output: `{images, timings, seed, has_nsfw_concepts, prompt}`.
 */
import { createHash } from "node:crypto";
import type { FileStore } from "./file-store.js";
import {
  CONTENT_TYPES,
  DEFAULT_SIZE,
  ImageDecodeError,
  MAX_PIXELS,
  type ImageSize,
  type OutputFormat,
  type RawImage,
  decodeImage,
  encodeImage,
  parseDataUri,
  renderPixels,
  sizeFromInput,
  toDataUri,
} from "./images.js";
import { canonicalJson, type Random } from "./random.js";
import type { ValidationIssue } from "./request-validation.js";
import type { EndpointSpec, JsonObject } from "./spec-catalog.js";

export interface GenerationPlan {
  readonly size: ImageSize;
  readonly format: OutputFormat;
  readonly numImages: number;
  readonly seed: number;
  readonly prompt: string;
  /** The other inputs that shape the picture (loras, steps, guidance, …), canonical JSON; "" when none. */
  readonly variant: string;
  readonly syncMode: boolean;
  readonly source?: RawImage;
  readonly strength?: number;
}

/** How `image_url`s that are neither data URIs nor emulator files are treated (the emulator is offline). */
export type RemoteImagePolicy = "placeholder" | "reject";

export interface PlanContext {
  readonly random: Random;
  /** Bytes of a file the emulator serves, by URL, or undefined when the URL is not one of its files. */
  readonly localFile: (url: URL) => Buffer | undefined | "missing";
  readonly remoteImages: RemoteImagePolicy;
}

export function planGeneration(endpoint: EndpointSpec, input: JsonObject, context: PlanContext): { plan: GenerationPlan } | { issues: ValidationIssue[] } {
  const features = endpoint.inputFeatures;
  let source: RawImage | undefined;
  if (features.imageUrl && typeof input.image_url === "string") {
    const read = readSourceImage(input.image_url, context);
    if ("issue" in read) return { issues: [read.issue] };
    source = read.image;
  }
  // As fal does: a preset's pixels, an explicit size as given (a missing side takes its
  // default); without image_size, image-to-image keeps the input image's size.
  let size: ImageSize;
  if (features.imageSize && input.image_size !== undefined && input.image_size !== null) {
    size = sizeFromInput(input.image_size, features.imageSizeSides) ?? DEFAULT_SIZE;
  } else if (source !== undefined) {
    size = { width: source.width, height: source.height };
  } else {
    size = sizeFromInput(features.imageSizeDefault, features.imageSizeSides) ?? DEFAULT_SIZE;
  }
  if (size.width * size.height > MAX_PIXELS) {
    return {
      issues: [
        {
          loc: ["body", features.imageSize ? "image_size" : "image_url"],
          msg: `The emulator renders at most ${MAX_PIXELS} pixels per image; ${size.width}x${size.height} is larger.`,
          type: "value_error",
        },
      ],
    };
  }
  const format = (typeof input.output_format === "string" ? input.output_format : features.outputFormatDefault) === "png" ? "png" : "jpeg";
  const numImages = typeof input.num_images === "number" ? input.num_images : features.numImagesDefault;
  // No seed: random, but drawn from the emulator's seeded generator, and returned in the output.
  const seed = typeof input.seed === "number" && Number.isInteger(input.seed) ? input.seed : Math.floor(context.random() * 2 ** 31);
  const strengthDefault = features.defaults.strength;
  const strength = typeof input.strength === "number" ? input.strength : typeof strengthDefault === "number" ? strengthDefault : 0.95;
  return {
    plan: {
      size,
      format,
      numImages,
      seed,
      prompt: typeof input.prompt === "string" ? input.prompt : "",
      variant: pictureVariant(endpoint, input),
      syncMode: input.sync_mode === true,
      ...(source === undefined ? {} : { source, strength }),
    },
  };
}

/**
 * Inputs that would change what a model draws, beyond prompt, seed, size and source: the same
 * ones give the same bytes, others give others. Delivery options (count, format, sync mode,
 * safety checker) are left out: they change how images come back, not what they show.
 */
const NOT_PICTURE = new Set(["prompt", "seed", "image_size", "image_url", "strength", "num_images", "output_format", "sync_mode", "enable_safety_checker"]);

function pictureVariant(endpoint: EndpointSpec, input: JsonObject): string {
  // A field left out and the same field set to its default are one input.
  const effective: JsonObject = { ...endpoint.inputFeatures.defaults, ...input };
  const rest = Object.fromEntries(Object.entries(effective).filter(([key]) => !NOT_PICTURE.has(key)));
  return Object.keys(rest).length === 0 ? "" : canonicalJson(rest);
}

function readSourceImage(value: string, context: PlanContext): { image: RawImage } | { issue: ValidationIssue } {
  const fail = (msg: string, type = "image_load_error"): { issue: ValidationIssue } => ({ issue: { loc: ["body", "image_url"], msg, type } });
  let bytes: Buffer;
  if (value.startsWith("data:")) {
    const parsed = parseDataUri(value);
    if (parsed === undefined) return fail("image_url is not a valid data URI.");
    bytes = parsed.bytes;
  } else {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return fail("image_url must be a URL or a data URI.", "url_parsing");
    }
    const local = context.localFile(url);
    if (local === "missing") return fail(`image_url ${value} is not a file this emulator serves.`, "file_download_error");
    if (local === undefined) {
      if (context.remoteImages === "reject") {
        return fail(
          `The emulator is offline and cannot download ${url.origin}: pass the image as a data URI or a URL it serves (/files/...).`,
          "file_download_error",
        );
      }
      // A deterministic stand-in for the remote image, so spec examples run offline.
      return { image: renderPixels({ size: DEFAULT_SIZE, prompt: value, seed: 0, index: 0 }) };
    }
    bytes = local;
  }
  try {
    return { image: decodeImage(bytes) };
  } catch (error) {
    if (error instanceof ImageDecodeError) return fail(`image_url: ${error.message}.`);
    throw error;
  }
}

export interface OutputImage {
  url: string;
  width: number;
  height: number;
  content_type: string;
}

/** Renders the plan's images; URLs point at `fileOrigin` unless sync mode asks for data URIs. */
export function renderOutput(plan: GenerationPlan, store: FileStore, fileOrigin: string, inferenceSeconds: number): JsonObject {
  const images: OutputImage[] = [];
  const contentType = CONTENT_TYPES[plan.format];
  const sourceDigest = plan.source === undefined ? null : createHash("sha256").update(plan.source.data).digest("hex");
  for (let index = 0; index < plan.numImages; index++) {
    const request = {
      size: plan.size,
      prompt: plan.prompt,
      seed: plan.seed,
      index,
      variant: plan.variant,
      ...(plan.source === undefined ? {} : { source: plan.source, strength: plan.strength ?? 0.95 }),
    };
    const encode = () => encodeImage(renderPixels(request), plan.format);
    // Data URIs must be encoded now; served files are encoded when first downloaded.
    const recipe = JSON.stringify({
      size: plan.size,
      prompt: plan.prompt,
      seed: plan.seed,
      index,
      variant: plan.variant,
      format: plan.format,
      strength: request.strength ?? null,
      source: sourceDigest,
    });
    const url = plan.syncMode
      ? toDataUri(encode(), contentType)
      : `${fileOrigin}/files/${store.putLazy(recipe, plan.format === "png" ? "png" : "jpg", contentType, encode)}`;
    images.push({ url, width: plan.size.width, height: plan.size.height, content_type: contentType });
  }
  return {
    images,
    timings: { inference: inferenceSeconds },
    seed: plan.seed,
    has_nsfw_concepts: images.map(() => false),
    prompt: plan.prompt,
  };
}
