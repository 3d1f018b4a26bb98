/**
 * Extract: pull the machine-readable part out of a vendor document.
 *
 * Apifox markdown exports wrap the OpenAPI YAML in a fenced block; plain YAML and JSON files,
 * and fal's per-endpoint queue OpenAPI (JSON), are used whole. Rendered docs pages are not OpenAPI: from those we only read which endpoint
 * they describe and on which host, so overlays can cite them and the merge can list the host.
 */
import { FileError } from "../file-error.js";

export type SourceFormat = "apifox-markdown" | "yaml" | "json" | "docs-page" | "fal-openapi";

export interface ExtractedSpec {
  kind: "openapi";
  /** The YAML/JSON text. */
  text: string;
  /** Line number (1-based) in the source file where `text` starts, for file:line messages. */
  firstLine: number;
}

export interface ExtractedDocsPage {
  kind: "docs-page";
  method: string;
  path: string;
  /** Origin named by the page (e.g. "https://www.kkiai.com"), if any. */
  origin: string | null;
}

export class ExtractError extends FileError {
  override name = "ExtractError";
}

const FENCE_OPEN = /^(```|~~~)\s*(ya?ml|json)\s*$/i;

export function extractSpec(file: string, content: string, format: SourceFormat): ExtractedSpec {
  if (format === "yaml" || format === "json" || format === "fal-openapi") return { kind: "openapi", text: content, firstLine: 1 };
  if (format !== "apifox-markdown") throw new ExtractError(file, `format ${format} holds no OpenAPI document`);
  const lines = content.split("\n");
  const open = lines.findIndex((line) => FENCE_OPEN.test(line.trim()));
  if (open < 0) {
    throw new ExtractError(file, "no fenced ```yaml or ```json block found (expected an Apifox markdown export)");
  }
  const fence = lines[open]!.trim().slice(0, 3);
  const close = lines.findIndex((line, i) => i > open && line.trim() === fence);
  if (close < 0) throw new ExtractError(file, `the fenced block opened on line ${open + 1} is never closed`);
  return { kind: "openapi", text: `${lines.slice(open + 1, close).join("\n")}\n`, firstLine: open + 2 };
}

const DOCS_ENDPOINT = /\b(GET|POST|PUT|PATCH|DELETE)\s+(https?:\/\/[^\s/'"]+)?(\/[A-Za-z0-9._~\-/{}]+)/;

export function extractDocsPage(file: string, content: string): ExtractedDocsPage {
  const match = DOCS_ENDPOINT.exec(content);
  if (!match) throw new ExtractError(file, "docs page names no endpoint (expected a line like `POST /owner/app`)");
  return { kind: "docs-page", method: match[1]!.toLowerCase(), path: match[3]!, origin: match[2] ?? null };
}

/** Guess a format from a file name, for imports and fixtures. */
export function formatFromName(name: string): SourceFormat {
  if (/\.(md|markdown)$/i.test(name)) return "apifox-markdown";
  if (/\.ya?ml$/i.test(name)) return "yaml";
  if (/\.json$/i.test(name)) return "json";
  return "docs-page";
}
