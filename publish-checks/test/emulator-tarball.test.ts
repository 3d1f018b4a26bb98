/**
 * The published emulator must work outside this repo: it reads no spec file, and an install
 * elsewhere serves every endpoint from the spec data of the @fluxkit/endpoints tarball.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { installOffline, pack, ROOT } from "./offline-install.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("an installed emulator tarball serves every endpoint of @fluxkit/endpoints", () => {
  const packs = mkdtempSync(join(tmpdir(), "fluxkit-emu-pack-"));
  const app = mkdtempSync(join(tmpdir(), "fluxkit-emu-app-"));
  dirs.push(packs, app);
  const dir = join(ROOT, "packages/emulator");
  const catalog = join(ROOT, "packages/endpoints");
  installOffline(app, {
    "@fluxkit/emulator": { dir, tarball: pack(dir, packs) },
    "@fluxkit/endpoints": { dir: catalog, tarball: pack(catalog, packs) },
  });
  const script = `import { createEmulator } from "@fluxkit/emulator";
const e = await createEmulator();
const health = await (await fetch(e.url + "/health")).json();
console.log(JSON.stringify({ endpoints: e.endpoints.map((x) => x.id).sort(), ok: Boolean(health) }));
await e.close();`;
  writeFileSync(join(app, "check.mjs"), script);
  const printed = execFileSync(process.execPath, ["check.mjs"], { cwd: app, encoding: "utf8" });
  expect(JSON.parse(printed)).toEqual({ endpoints: ["fal-ai/flux-1/dev/image-to-image", "fal-ai/flux-lora", "fal-ai/flux-lora/image-to-image"], ok: true });
});
