import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, defaultSpecsDir, loadSpecCatalog } from "../src/index.js";
import { client, start } from "./helpers.js";

describe("spec discovery", () => {
  it("finds every normalized spec with its submit route, app and providers", () => {
    const files = readdirSync(defaultSpecsDir()).filter((f) => f.endsWith(".yaml"));
    const catalog = loadSpecCatalog();
    expect(catalog).toHaveLength(files.length);
    const byId = Object.fromEntries(catalog.map((e) => [e.id, e]));
    expect(byId["fal-ai/flux-lora"]?.submit.path).toBe("/fal-ai/flux-lora");
    expect(byId["fal-ai/flux-lora/image-to-image"]?.app).toBe("fal-ai/flux-lora");
    expect(byId["fal-ai/flux-1/dev/image-to-image"]?.app).toBe("fal-ai/flux-1");
    for (const e of catalog) {
      expect(e.operations.map((o) => o.operationId).sort()).toEqual(["cancel", "getResult", "getStatus", "streamStatus", "submit"]);
      expect(e.providers.map((p) => p.provider)).toContain("fal");
    }
  });

  it("serves a new spec file with no emulator code", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fluxkit-specs-"));
    cpSync(defaultSpecsDir(), dir, { recursive: true });
    const text = readFileSync(join(dir, "flux-lora.yaml"), "utf8")
      .replaceAll("fal-ai/flux-lora", "fal-ai/flux-new")
      .replaceAll("@fluxkit/flux-lora", "@fluxkit/flux-new");
    writeFileSync(join(dir, "flux-new.yaml"), text);
    const emulator = await start({ specsDir: dir });
    expect(emulator.endpoints.map((e) => e.id)).toContain("fal-ai/flux-new");
    const c = client(emulator);
    const submitted = await c.submit("/fal-ai/flux-new", { prompt: "new", image_size: { width: 8, height: 8 } });
    expect(submitted.status).toBe(200);
    expect(submitted.body.status_url).toBe(`${emulator.url}/fal-ai/flux-new/requests/${submitted.body.request_id}/status`);
    await emulator.waitForJob(submitted.body.request_id);
    expect((await c.get(submitted.body.response_url)).status).toBe(200);
  });

  it("refuses a missing spec directory with an error naming the option", async () => {
    await expect(start({ specsDir: "/nonexistent/specs" })).rejects.toThrow(ConfigError);
    await expect(start({ specsDir: "/nonexistent/specs" })).rejects.toThrow(/--specs/);
  });

  it("serves only the endpoints that list the provider it plays, unless told otherwise", async () => {
    const kkiai = await start({ provider: "kkiai" });
    expect(kkiai.endpoints.map((e) => e.id)).toEqual(["fal-ai/flux-lora/image-to-image"]);
    const notServed = await client(kkiai).submit("/fal-ai/flux-lora", { prompt: "x" });
    expect(notServed.status).toBe(404);
    const all = await start({ provider: "kkiai", allEndpoints: true });
    expect(all.endpoints).toHaveLength(loadSpecCatalog().length);
  });
});
