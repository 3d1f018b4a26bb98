/** specs:import refuses what would exhaust memory before it parses it, and names the file when it does. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_DOCUMENT_BYTES, ImportError, importSource } from "../src/normalize/import-source.js";

const tempRoot = () => mkdtemp(join(tmpdir(), "fluxkit-import-limits-"));

function aliasBomb(): string {
  const lines = ["openapi: 3.1.0", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let level = 1; level < 9; level++) {
    const prev = String.fromCharCode(96 + level);
    const name = String.fromCharCode(97 + level);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  lines.push("paths:", "  /fal-ai/bomb:", "    post: {}");
  return `${lines.join("\n")}\n`;
}

describe("specs:import limits", () => {
  it("refuses a document over the size limit before reading it, saying how to raise the limit", async () => {
    const root = await tempRoot();
    const file = join(root, "huge.yaml");
    await writeFile(file, `openapi: 3.1.0\n# ${"x".repeat(DEFAULT_MAX_DOCUMENT_BYTES)}\npaths: {}\n`);
    const error = await importSource(root, { input: file, provider: "acme" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(/huge\.yaml: the document is 5 MiB; the limit is 5 MiB\. .*--max-bytes/);
    // A smaller explicit limit applies too.
    const small = join(root, "small.yaml");
    await writeFile(small, "openapi: 3.1.0\npaths: {}\n");
    await expect(importSource(root, { input: small, provider: "acme", maxBytes: 10 })).rejects.toThrow(/small\.yaml: the document is .* the limit is/);
  });

  it("stops a download at the limit, even when the server declares no length", async () => {
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/yaml" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (sent < 64 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/spec.yaml`;
      const error = await importSource(await tempRoot(), { input: url, provider: "acme", maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/spec\.yaml: the document is more than 1 MiB; the limit is 1 MiB/);
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("an alias bomb fails with the file's name, not a bare resource-exhaustion error", async () => {
    const root = await tempRoot();
    const file = join(root, "bomb.yaml");
    await writeFile(file, aliasBomb());
    const error = await importSource(root, { input: file, provider: "acme" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(/bomb\.yaml: too many YAML aliases/);
  });
});
