import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as entry from "../src/index.js";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

/** Every module reachable from a file through static imports/exports. */
async function reachable(file: string, seen = new Set<string>()): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  const visit = async (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const source = await readFile(path, "utf8");
    const specifiers = [...source.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"/g)].map((m) => m[1] as string);
    result.set(path, specifiers);
    for (const spec of specifiers.filter((s) => s.startsWith("."))) await visit(join(dirname(path), spec.replace(/\.js$/, ".ts")));
  };
  await visit(file);
  return result;
}

describe("entry points", () => {
  it("nothing reachable from the default entry imports a node: module (browsers and workers)", async () => {
    const graph = await reachable(join(SRC, "index.ts"));
    expect(graph.size).toBeGreaterThan(5);
    const nodeImports = [...graph].flatMap(([file, specs]) => specs.filter((s) => s.startsWith("node:")).map((s) => `${file}: ${s}`));
    expect(nodeImports).toEqual([]);
    expect([...graph.keys()].some((f) => f.endsWith("node.ts"))).toBe(false);
  });

  it("the node entry does use node: modules (so the scan above can see them)", async () => {
    const graph = await reachable(join(SRC, "node.ts"));
    expect([...graph.values()].flat().some((s) => s.startsWith("node:"))).toBe(true);
  });

  it("exports the public API by these names", () => {
    expect(Object.keys(entry).sort()).toEqual(
      [
        "AbortError",
        "AuthenticationError",
        "ConnectionError",
        "DEFAULT_MAX_IMAGE_BYTES",
        "FAL_QUEUE_HOSTS",
        "FAL_WEBHOOK_JWKS_URL",
        "FluxkitError",
        "ForeignUrlError",
        "IMAGE_MIME_TYPES",
        "JobFailedError",
        "ProtocolError",
        "QueueClient",
        "RateLimitError",
        "RedirectError",
        "RequestError",
        "ServerError",
        "TimeoutError",
        "UNKNOWN_FIELD",
        "ValidationError",
        "WebhookVerificationError",
        "bytesToImageDataUri",
        "checkInput",
        "createQueueClient",
        "createWebhookVerifier",
        "nearestName",
        "defaultPollingOptions",
        "defaultRetryOptions",
        "prepareInput",
        "providerPresets",
        "sniffImageType",
        "toImageUrl",
      ].sort(),
    );
  });
});
