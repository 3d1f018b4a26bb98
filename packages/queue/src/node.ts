/** Node-only helpers (`@fluxkit/queue/node`); kept out of the default entry so browsers and workers never load `node:` modules. */
import { readFile, stat } from "node:fs/promises";
import { ValidationError } from "./errors.js";
import { DEFAULT_MAX_IMAGE_BYTES, bytesToImageDataUri, type ImageInputOptions } from "./files.js";

/** Reads an image file into a `data:` URI for an `image_url` field, after size and type checks. */
export async function imageFileToDataUri(path: string, options: ImageInputOptions = {}): Promise<string> {
  const max = options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const info = await stat(path);
  if (!info.isFile()) {
    const message = `${path} is not a file.`;
    throw new ValidationError(message, [{ path: "", message, keyword: "type" }]);
  }
  // Refuse before reading: the limit exists so huge files never enter memory.
  if (info.size > max) {
    const message = `${path} is ${info.size} bytes; the limit is ${max} bytes.`;
    throw new ValidationError(message, [{ path: "", message, keyword: "maxBytes" }]);
  }
  return bytesToImageDataUri(await readFile(path), options);
}

export * from "./index.js";
