/**
 * Import a vendor document: store it byte for byte under specs/sources/<provider>/, record
 * its provenance (origin, format, sha256), and say which endpoints it describes and how they
 * change. The document is run through the whole normalize step first, in memory, with the
 * other sources; if anything fails, nothing is written, not even the document.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { compareEndpoint, type EndpointComparison } from "../release/endpoint-comparison.js";
import { formatComparison } from "../release/report.js";
import { endpointNames } from "./endpoint-id.js";
import { extractDocsPage, extractSpec, formatFromName, type SourceFormat } from "./extract.js";
import { isObject } from "../json.js";
import { normalize } from "./normalize.js";
import { writeOutputs } from "../generate/outputs.js";
import { findRemovedEndpoints } from "../release/removed-endpoints.js";
import { repairYaml } from "./repair.js";
import { FORMATS, loadSources, PROVENANCE_FILE, readProvenance, sha256, type Provenance, type SourceFile } from "./sources.js";
import { readIfExists } from "../read-if-exists.js";
import { falEndpointId, isFalQueueOpenApi } from "../upstream/fal-openapi.js";
import { yamlValue } from "./yaml-value.js";

export interface ImportRequest {
  /** A file path (relative to `cwd`) or an http(s) URL. */
  input: string;
  /** Optional for fal's queue OpenAPI, which is fal's own (provider "fal"); required otherwise. */
  provider?: string;
  format?: SourceFormat;
  origin?: string;
  /** File name under specs/sources/<provider>/; by default named after the endpoint it describes. */
  name?: string;
  /** Largest document accepted, in bytes (default DEFAULT_MAX_DOCUMENT_BYTES). */
  maxBytes?: number;
}

/** Vendor exports of one endpoint are tens of kilobytes; a catalogue of hundreds stays well under this. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 5 * 1024 * 1024;

const mib = (bytes: number) => `${Number((bytes / 1024 / 1024).toFixed(2))} MiB`;

function tooLarge(input: string, size: string, maxBytes: number): ImportError {
  return new ImportError(`${input}: the document is ${size}; the limit is ${mib(maxBytes)}. If it really is that large, pass --max-bytes <n>.`);
}

/** An endpoint the imported document describes, compared with its normalized spec on disk. */
export type ImportedEndpoint = EndpointComparison;

export interface ImportResult {
  /** Repo-relative path the document is stored at. */
  file: string;
  format: SourceFormat;
  origin: string;
  sha256: string;
  /** added: a new file; updated: new bytes for a recorded file; unchanged: same bytes and provenance. */
  status: "added" | "updated" | "unchanged";
  /** Files of the same provider describing the same endpoints under another name, replaced by this one. */
  replaced: string[];
  endpoints: ImportedEndpoint[];
  /** Endpoints with a normalized spec that no source describes after the import. */
  noLongerDescribed: { id: string; slug: string }[];
  /** Paths written or deleted. */
  written: string[];
}

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

export interface ImportDeps {
  fetch?: typeof fetch;
  /** Where a relative input path is resolved (default: process.cwd()). */
  cwd?: string;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PROVIDER_NAME = /^[a-z0-9][a-z0-9-]*$/;
const EXTENSION: Record<SourceFormat, string> = {
  "apifox-markdown": ".apifox.md",
  yaml: ".yaml",
  json: ".json",
  "docs-page": ".docs.txt",
  "fal-openapi": ".fal-openapi.json",
};

const isUrl = (input: string) => /^https?:\/\//i.test(input);

async function fetchDocument(url: string, fetchImpl: typeof fetch, maxBytes: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const reason = cause instanceof Error ? cause.message : (error as Error).message;
    throw new ImportError(`${url}: cannot fetch (${reason}). Without a network, download the document and import the file instead.`);
  }
  if (!response.ok) throw new ImportError(`${url}: the server answered HTTP ${response.status}; check the URL, or download the document and import the file.`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, mib(declared), maxBytes);
  }
  // Read in chunks and stop at the limit: a server may send more than it declares.
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  for (let chunk = await reader?.read(); chunk !== undefined && !chunk.done; chunk = await reader?.read()) {
    total += chunk.value.byteLength;
    if (total > maxBytes) {
      await reader?.cancel().catch(() => undefined);
      throw tooLarge(url, `more than ${mib(maxBytes)}`, maxBytes);
    }
    chunks.push(chunk.value);
  }
  return Buffer.concat(chunks, total);
}

async function readInput(input: string, deps: ImportDeps, maxBytes: number): Promise<Uint8Array> {
  if (isUrl(input)) return fetchDocument(input, deps.fetch ?? fetch, maxBytes);
  const path = resolve(deps.cwd ?? process.cwd(), input);
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ImportError(`${input}: not a file`);
    // Checked before reading: the limit exists so an oversized document never enters memory.
    if (info.size > maxBytes) throw tooLarge(input, mib(info.size), maxBytes);
    return await readFile(path);
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`${input}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); pass a file path or an http(s) URL`);
  }
}

/** Sniff the format from the content; the name's extension decides only when the content says nothing. */
export function detectFormat(name: string, text: string): SourceFormat {
  if (/^\s*(```|~~~)\s*(ya?ml|json)\s*$[\s\S]*?^\s*"?(openapi|swagger)"?\s*:/im.test(text)) return "apifox-markdown";
  if (/^\s*\{[\s\S]*"(openapi|swagger)"\s*:/.test(text)) {
    // fal's per-endpoint queue OpenAPI says so in its info (title "Queue OpenAPI for <id>", x-fal-metadata).
    try {
      if (isFalQueueOpenApi(JSON.parse(text))) return "fal-openapi";
    } catch {
      // Not strict JSON: left to the parser, which names the line.
    }
    return "json";
  }
  if (/^(openapi|swagger)\s*:/m.test(text)) return "yaml";
  return formatFromName(name);
}

/** The submit paths a document describes (POST routes other than the queue's follow-ups). */
export function describedPaths(file: string, text: string, format: SourceFormat): string[] {
  if (format === "docs-page") return [extractDocsPage(file, text).path];
  const extracted = extractSpec(file, text, format);
  const parsed: unknown = yamlValue(repairYaml(file, extracted.text, extracted.firstLine).document, file, (message) => new ImportError(message));
  if (format === "fal-openapi") {
    if (!isFalQueueOpenApi(parsed)) {
      throw new ImportError(
        `${file}: not fal's queue OpenAPI (expected info.title "Queue OpenAPI for <id>" or info.x-fal-metadata, as served by https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<id>); drop --format fal-openapi if it is another kind of document`,
      );
    }
    return [`/${falEndpointId(file, parsed)}`];
  }
  if (!isObject(parsed) || !isObject(parsed.paths))
    throw new ImportError(`${file}: not an OpenAPI document (no \`paths\`); pass --format if it was guessed wrong`);
  const paths = parsed.paths;
  return Object.keys(paths)
    .filter((p) => isObject(paths[p]) && isObject(paths[p].post) && !p.includes("/requests/{"))
    .sort();
}

function defaultName(input: string, paths: string[], format: SourceFormat): string {
  if (paths.length === 1) {
    try {
      return `${endpointNames(paths[0]!).slug}${EXTENSION[format]}`;
    } catch {
      // Not an /{owner}/{app} path: named after the file below.
    }
  }
  const last = isUrl(input) ? (new URL(input).pathname.split("/").filter(Boolean).at(-1) ?? "document") : basename(input);
  const stem =
    last
      .replace(/\.[A-Za-z0-9.]+$/, "")
      .replace(/[^A-Za-z0-9._-]+/g, "-")
      .replace(/^[^A-Za-z0-9]+/, "") || "document";
  return `${stem}${EXTENSION[format]}`;
}

const hasOpenApi = (format: SourceFormat) => format !== "docs-page";

function provenanceText(existing: string | null, provider: string, name: string, entry: Provenance["files"][string], replaced: string[]): string {
  if (existing === null) {
    return [
      "# Where each file in this folder came from. The files are kept byte for byte as published;",
      "# the pipeline refuses to run when a file's sha256 no longer matches the one recorded here.",
      `provider: ${provider}`,
      "files:",
      `  ${name}:`,
      `    origin: ${JSON.stringify(entry.origin)}`,
      `    format: ${entry.format}`,
      `    sha256: ${entry.sha256}`,
      "",
    ].join("\n");
  }
  // Edit the document rather than rewrite it, so its comments and layout stay as people left them.
  const doc = parseDocument(existing);
  for (const old of replaced) doc.deleteIn(["files", old]);
  doc.setIn(["files", name], doc.createNode({ origin: entry.origin, format: entry.format, sha256: entry.sha256 }));
  return doc.toString({ lineWidth: 0 });
}

export async function importSource(root: string, request: ImportRequest, deps: ImportDeps = {}): Promise<ImportResult> {
  if (request.provider !== undefined && !PROVIDER_NAME.test(request.provider))
    throw new ImportError(`--provider "${request.provider}": use lowercase letters, digits and dashes (it names the folder specs/sources/<provider>/)`);
  if (request.format !== undefined && !FORMATS.includes(request.format)) {
    throw new ImportError(`--format "${request.format}": expected one of ${FORMATS.join(", ")}`);
  }
  const maxBytes = request.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  if (!(Number.isInteger(maxBytes) && maxBytes > 0)) throw new ImportError(`--max-bytes "${request.maxBytes}": expected a positive whole number of bytes`);
  const bytes = await readInput(request.input, deps, maxBytes);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ImportError(`${request.input}: not UTF-8 text; vendor documents are stored byte for byte and must be UTF-8`);
  }
  const format = request.format ?? detectFormat(isUrl(request.input) ? new URL(request.input).pathname : request.input, text);
  const provider = request.provider ?? (format === "fal-openapi" ? "fal" : undefined);
  if (provider === undefined) throw new ImportError(`${request.input}: a ${format} document needs --provider <name> (who publishes it, e.g. chainhub)`);
  const paths = describedPaths(request.input, text, format);
  if (paths.length === 0) throw new ImportError(`${request.input}: describes no endpoint (no POST route); is it the right document?`);
  const name = request.name ?? defaultName(request.input, paths, format);
  if (!FILE_NAME.test(name) || name === PROVENANCE_FILE)
    throw new ImportError(`--name "${name}": use letters, digits, dots, dashes and underscores, and not ${PROVENANCE_FILE}`);

  const dir = `specs/sources/${provider}`;
  const file = `${dir}/${name}`;
  const provenancePath = `${dir}/${PROVENANCE_FILE}`;
  const existingProvenance = await readIfExists(join(root, provenancePath));
  const provenance = existingProvenance === null ? null : await readProvenance(root, provider);
  const current = await loadSources(root);

  // Another file of this provider for exactly the same endpoints is the older version of this one.
  const replaced: string[] = [];
  for (const source of current.filter((s) => s.file.startsWith(`${dir}/`) && s.file !== file)) {
    if (hasOpenApi(source.format) !== hasOpenApi(format)) continue;
    const theirs = describedPaths(source.file, source.content, source.format);
    if (theirs.join("\n") === paths.join("\n")) replaced.push(source.file.slice(dir.length + 1));
  }

  const digest = sha256(Buffer.from(bytes));
  const origin = request.origin ?? (isUrl(request.input) ? request.input : `imported from ${basename(request.input)}`);
  const previous = provenance?.files[name];
  const status = previous === undefined ? "added" : previous.sha256 === digest && previous.format === format ? "unchanged" : "updated";
  const entry = { origin: status === "unchanged" && request.origin === undefined ? previous!.origin : origin, format, sha256: digest };
  const imported: SourceFile = { file, provider: provenance ? provenance.provider : provider, format, origin: entry.origin, content: text };
  const sources = [...current.filter((s) => s.file !== file && !replaced.some((r) => s.file === `${dir}/${r}`)), imported].sort((a, b) =>
    a.file.localeCompare(b.file),
  );

  const { endpoints } = await normalize(root, { sources });
  const described: ImportedEndpoint[] = [];
  for (const endpoint of endpoints.filter((e) => e.sources.includes(file))) {
    const onDisk = await readIfExists(join(root, endpoint.path));
    const before = onDisk === null ? null : { label: endpoint.path, yaml: onDisk };
    described.push(compareEndpoint(endpoint.names, before, { label: `${endpoint.path} after the import`, yaml: endpoint.yaml }));
  }
  const removed = await findRemovedEndpoints(root, new Set(endpoints.map((e) => e.names.slug)));
  const noLongerDescribed = removed.filter((r) => r.specPath !== null).map((r) => ({ id: r.id, slug: r.slug }));

  const written = await writeOutputs(
    root,
    [
      { path: file, content: text },
      {
        path: provenancePath,
        content: status === "unchanged" && replaced.length === 0 ? existingProvenance! : provenanceText(existingProvenance, provider, name, entry, replaced),
      },
    ],
    replaced.map((r) => `${dir}/${r}`),
  );
  return {
    file,
    format,
    origin: entry.origin,
    sha256: digest,
    status,
    replaced: replaced.map((r) => `${dir}/${r}`),
    endpoints: described,
    noLongerDescribed,
    written,
  };
}

export function formatImportReport(result: ImportResult): string[] {
  const lines = [`specs:import: ${result.status} ${result.file} (${result.format}, sha256 ${result.sha256.slice(0, 12)})`];
  for (const old of result.replaced) lines.push(`  replaces ${old} (same provider, same endpoints): removed with its provenance entry`);
  for (const e of result.endpoints) {
    lines.push(...formatComparison(e, { indent: "  " }));
    if (e.status === "new") lines.push(`    \`pnpm generate\` scaffolds ${e.packageName}`);
  }
  for (const r of result.noLongerDescribed) lines.push(`  ${r.id}: no source describes it any more; \`pnpm generate\` deprecates its package (major)`);
  if (result.endpoints.some((e) => e.status !== "unchanged") || result.noLongerDescribed.length > 0) {
    lines.push("Next: `pnpm generate` (packages and changesets), then `pnpm specs:diff` to review against git.");
  }
  return lines;
}
