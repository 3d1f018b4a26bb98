/** How a saved result is shown: one JSON document with --json, paths only with --quiet, a short summary otherwise. */
import { relative } from "node:path";
import type { CliIO } from "./cli-io.js";
import type { SavedResult } from "./downloads.js";
import { formatElapsed } from "./progress.js";

export function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

export function printResult(
  io: CliIO,
  saved: SavedResult,
  mode: { readonly json: boolean; readonly quiet: boolean },
  summary: { readonly elapsedMs?: number; readonly provider: string },
): void {
  if (mode.json) {
    io.stdout.write(`${JSON.stringify(saved.document, null, 2)}\n`);
    return;
  }
  if (mode.quiet) {
    for (const image of saved.images) io.stdout.write(`${shortPath(image.path)}\n`);
    return;
  }
  const took = summary.elapsedMs === undefined ? "" : ` in ${formatElapsed(summary.elapsedMs)}`;
  io.stdout.write(`request ${saved.document.request_id} completed${took} (${summary.provider})\n`);
  for (const image of saved.images) {
    io.stdout.write(`  ${shortPath(image.path)}  ${image.contentType}, ${(image.bytes / 1024).toFixed(1)} KiB\n`);
  }
  io.stdout.write(`  ${shortPath(saved.jsonPath)}\n`);
}
