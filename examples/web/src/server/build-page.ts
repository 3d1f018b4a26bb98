/**
 * Bundles the page for the browser with esbuild, in memory: minified ESM with code splitting
 * (the queue's status-stream reader is its own chunk, loaded on the first streaming wait).
 */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface PageFile {
  readonly contentType: string;
  readonly body: Uint8Array;
}

const PAGE_DIR = fileURLToPath(new URL("../page/", import.meta.url));

/** `/` and `/assets/*` → their bytes. */
export async function buildPage(): Promise<Map<string, PageFile>> {
  const result = await build({
    entryPoints: [`${PAGE_DIR}main.ts`],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: false,
    outdir: `${PAGE_DIR}assets`,
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
    write: false,
    logLevel: "silent",
  });
  const files = new Map<string, PageFile>();
  for (const file of result.outputFiles) {
    files.set(`/assets/${basename(file.path)}`, { contentType: "text/javascript; charset=utf-8", body: file.contents });
  }
  files.set("/", { contentType: "text/html; charset=utf-8", body: await readFile(`${PAGE_DIR}index.html`) });
  return files;
}
