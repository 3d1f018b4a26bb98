/**
 * Saving a job's result: every image of `output.images` (http(s) URL or data URI) downloaded to
 * `<out>/<request-id>-<n>.<ext>` (n is the index in `images`, ext from the bytes' type), then
 * the result JSON beside them as `<request-id>.json`. All writes are atomic.
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { sniffImageType } from "@fluxkit/queue";
import { writeFileAtomic } from "./atomic-write.js";
import { CliError, ExitCode } from "./exit-codes.js";

export interface SavedImage {
  /** Absolute path. */
  readonly path: string;
  readonly contentType: string;
  readonly bytes: number;
}

/** What `--json` prints and what `<request-id>.json` holds (with file names instead of paths). */
export interface ResultDocument {
  readonly request_id: string;
  readonly endpoint: string;
  readonly files: readonly string[];
  readonly output: unknown;
}

export interface SavedResult {
  readonly images: readonly SavedImage[];
  /** Absolute path of `<request-id>.json`. */
  readonly jsonPath: string;
  /** With absolute paths in `files`. */
  readonly document: ResultDocument;
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/avif": "avif",
};

export function extensionFor(contentType: string): string {
  return EXTENSIONS[contentType.split(";")[0]?.trim().toLowerCase() ?? ""] ?? "bin";
}

/** Request ids come from a server: keep them from escaping the output directory. */
export function safeFileStem(requestId: string): string {
  return requestId.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_");
}

interface ImageRef {
  readonly url: string;
  readonly contentType: string | undefined;
}

function imagesOf(output: unknown): ImageRef[] {
  if (output === null || typeof output !== "object" || !("images" in output) || !Array.isArray(output.images)) return [];
  return output.images.flatMap((image: unknown): ImageRef[] => {
    if (image === null || typeof image !== "object" || !("url" in image) || typeof image.url !== "string") return [];
    const contentType = "content_type" in image && typeof image.content_type === "string" ? image.content_type : undefined;
    return [{ url: image.url, contentType }];
  });
}

function decodeDataUri(uri: string, where: string): { bytes: Uint8Array; contentType: string | undefined } {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(uri);
  if (match === null) throw new CliError(`${where}: the data URI is malformed; the result JSON keeps it as returned.`, ExitCode.failure);
  const isBase64 = /;base64$/i.test(match[2] ?? "");
  const payload = match[3] ?? "";
  const bytes = isBase64 ? Buffer.from(payload, "base64") : Buffer.from(decodeURIComponent(payload), "latin1");
  return { bytes, contentType: match[1] === "" ? undefined : match[1] };
}

/** Default largest image downloaded (`--max-image-mb`); FLUX images are a few MB at most. */
export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;

function tooLarge(where: string, url: string, maxBytes: number): CliError {
  return new CliError(
    `${where}: ${url.slice(0, 200)} is larger than ${formatMiB(maxBytes)}; the download was stopped. If the image is expected to be that large, raise --max-image-mb and fetch it again with \`flux result\`.`,
    ExitCode.failure,
  );
}

const formatMiB = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(2))} MiB`;

async function fetchImage(
  url: string,
  where: string,
  signal: AbortSignal | undefined,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; contentType: string | undefined }> {
  let response: Response;
  try {
    // No Authorization header: image hosts are not the provider, and the token stays with it.
    response = await fetch(url, { signal: signal ?? null });
  } catch (error) {
    if (signal?.aborted === true) throw error;
    throw new CliError(
      `${where}: could not download ${url} (${(error as Error).message}). The result JSON keeps the URL; try \`flux result\` again.`,
      ExitCode.failure,
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new CliError(
      `${where}: downloading ${url} answered HTTP ${response.status}. The result JSON keeps the URL; try \`flux result\` again.`,
      ExitCode.failure,
    );
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(where, url, maxBytes);
  }
  // Read in chunks and stop at the cap: a server may send more than it declared, or declare nothing.
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const chunk = reader === undefined ? { done: true as const, value: undefined } : await reader.read();
      if (chunk.done) break;
      total += chunk.value.byteLength;
      if (total > maxBytes) {
        await reader?.cancel().catch(() => undefined);
        throw tooLarge(where, url, maxBytes);
      }
      chunks.push(chunk.value);
    }
  } catch (error) {
    if (error instanceof CliError || signal?.aborted === true) throw error;
    throw new CliError(`${where}: the download of ${url} broke off (${(error as Error).message}). Try \`flux result\` again.`, ExitCode.failure);
  }
  return { bytes: Buffer.concat(chunks, total), contentType: response.headers.get("content-type") ?? undefined };
}

export async function saveResult(options: {
  readonly outDir: string;
  readonly requestId: string;
  readonly endpointId: string;
  readonly output: unknown;
  readonly signal?: AbortSignal | undefined;
  /** Largest image downloaded; default DEFAULT_MAX_IMAGE_BYTES. */
  readonly maxImageBytes?: number | undefined;
}): Promise<SavedResult> {
  const maxImageBytes = options.maxImageBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  const outDir = resolve(options.outDir);
  try {
    await mkdir(outDir, { recursive: true });
  } catch (error) {
    throw new CliError(`--out ${options.outDir}: cannot create the directory (${(error as Error).message}). Pick a writable --out.`, ExitCode.usage);
  }
  const stem = safeFileStem(options.requestId);
  const images: SavedImage[] = [];
  for (const [n, image] of imagesOf(options.output).entries()) {
    const where = `image ${n} of request ${options.requestId}`;
    const fetched = image.url.startsWith("data:") ? decodeDataUri(image.url, where) : await fetchImage(image.url, where, options.signal, maxImageBytes);
    if (fetched.bytes.length > maxImageBytes) throw tooLarge(where, "the data URI", maxImageBytes);
    // Trust the bytes first: a wrong header should not give a PNG a .jpg name.
    const contentType = sniffImageType(fetched.bytes) ?? fetched.contentType ?? image.contentType ?? "application/octet-stream";
    const path = join(outDir, `${stem}-${n}.${extensionFor(contentType)}`);
    await writeFileAtomic(path, fetched.bytes);
    images.push({ path, contentType, bytes: fetched.bytes.length });
  }
  const jsonPath = join(outDir, `${stem}.json`);
  const onDisk: ResultDocument = {
    request_id: options.requestId,
    endpoint: options.endpointId,
    files: images.map((i) => i.path.slice(outDir.length + 1)),
    output: options.output,
  };
  // Written last, so its presence means the images beside it are complete.
  await writeFileAtomic(jsonPath, `${JSON.stringify(onDisk, null, 2)}\n`);
  return { images, jsonPath, document: { ...onDisk, files: images.map((i) => i.path) } };
}
