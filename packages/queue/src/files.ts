/**
 * File inputs (`image_url` and friends): a URL or data URI passes through (a data URI is
 * checked), bytes become a data URI after a size limit and a magic-byte type check.
 * Runtime-neutral; reading a file path lives in `@fluxkit/queue/node`.
 */
import { ValidationError } from "./errors.js";

export type ImageMimeType = "image/png" | "image/jpeg" | "image/webp" | "image/gif" | "image/avif";

export const IMAGE_MIME_TYPES: readonly ImageMimeType[] = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"];

export interface ImageInputOptions {
  /** Largest accepted file in bytes. Default 10 MiB (data URIs inflate requests by a third). */
  readonly maxBytes?: number;
  /** Accepted types, checked against the bytes themselves. Default: all of IMAGE_MIME_TYPES. */
  readonly allowedTypes?: readonly ImageMimeType[];
}

export type ImageSource = string | Blob | Uint8Array | ArrayBuffer;

export const DEFAULT_MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** Identifies an image by its first bytes; undefined when it is none of the supported types. */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | undefined {
  const at = (offset: number, ascii: string) => ascii.split("").every((ch, i) => bytes[offset + i] === ch.charCodeAt(0));
  if (bytes.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => bytes[i] === b)) {
    return "image/png";
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 12 && at(0, "RIFF") && at(8, "WEBP")) return "image/webp";
  if (bytes.length >= 6 && (at(0, "GIF87a") || at(0, "GIF89a"))) return "image/gif";
  // ISO-BMFF: size(4) "ftyp" brand(4); AVIF images use the avif/avis brands.
  if (bytes.length >= 12 && at(4, "ftyp") && (at(8, "avif") || at(8, "avis"))) return "image/avif";
  return undefined;
}

/**
 * A value for an `image_url` field: http(s) URLs pass through, data URIs are checked, and a
 * Blob / Uint8Array / ArrayBuffer becomes a data URI of its sniffed type.
 */
export async function toImageUrl(source: ImageSource, options: ImageInputOptions = {}): Promise<string> {
  if (typeof source === "string") return checkImageString(source, options);
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    // Check the size before reading a possibly huge file into memory.
    assertSize(source.size, options);
    return bytesToImageDataUri(new Uint8Array(await source.arrayBuffer()), options);
  }
  if (source instanceof Uint8Array) return bytesToImageDataUri(source, options);
  if (source instanceof ArrayBuffer) return bytesToImageDataUri(new Uint8Array(source), options);
  throw fileError("Expected a URL, a data URI, a Blob, a Uint8Array or an ArrayBuffer.", "type");
}

/** Bytes → `data:image/…;base64,…` after the size and type checks. */
export function bytesToImageDataUri(bytes: Uint8Array, options: ImageInputOptions = {}): string {
  assertSize(bytes.length, options);
  const type = assertType(bytes, options);
  return `data:${type};base64,${toBase64(bytes)}`;
}

function checkImageString(value: string, options: ImageInputOptions): string {
  if (value.startsWith("data:")) {
    const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(value);
    if (match === null || !/;base64$/i.test(match[2] ?? "")) {
      throw fileError("A data URI for an image must be base64-encoded (data:image/png;base64,…).", "format");
    }
    const payload = (match[3] ?? "").replace(/\s+/g, "");
    const padding = payload.endsWith("==") ? 2 : payload.endsWith("=") ? 1 : 0;
    assertSize(Math.floor((payload.length * 3) / 4) - padding, options);
    let head: Uint8Array;
    try {
      head = fromBase64(payload.slice(0, 24));
    } catch {
      throw fileError("The data URI's payload is not valid base64.", "format");
    }
    assertType(head, options);
    return value;
  }
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
    throw fileError(
      `Not an http(s) URL or a data URI: ${JSON.stringify(value.slice(0, 80))}. For a file path, use imageFileToDataUri from "@fluxkit/queue/node".`,
      "format",
    );
  }
  return value;
}

function assertSize(size: number, options: ImageInputOptions): void {
  const max = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  if (size > max) throw fileError(`The image is ${size} bytes; the limit is ${max} bytes.`, "maxBytes");
  if (size === 0) throw fileError("The image is empty.", "minBytes");
}

function assertType(bytes: Uint8Array, options: ImageInputOptions): ImageMimeType {
  const allowed = options.allowedTypes ?? IMAGE_MIME_TYPES;
  const type = sniffImageType(bytes);
  if (type === undefined || !allowed.includes(type)) {
    throw fileError(`${type === undefined ? "The bytes are not a recognised image" : `The image is ${type}`}; accepted: ${allowed.join(", ")}.`, "fileType");
  }
  return type;
}

function fileError(message: string, keyword: string): ValidationError {
  return new ValidationError(message, [{ path: "", message, keyword }]);
}

// btoa/atob exist in browsers, workers and Node ≥ 16; chunking keeps apply() within argument limits.
function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const usable = text.slice(0, text.length - (text.length % 4));
  const binary = atob(usable);
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}
