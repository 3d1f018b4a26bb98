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

async function fetchImage(url: string, where: string, signal: AbortSignal | undefined): Promise<{ bytes: Uint8Array; contentType: string | undefined }> {
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
  return { bytes: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get("content-type") ?? undefined };
}

export async function saveResult(options: {
  readonly outDir: string;
  readonly requestId: string;
  readonly endpointId: string;
  readonly output: unknown;
  readonly signal?: AbortSignal | undefined;
}): Promise<SavedResult> {
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
    const fetched = image.url.startsWith("data:") ? decodeDataUri(image.url, where) : await fetchImage(image.url, where, options.signal);
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
