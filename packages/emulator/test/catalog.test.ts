import { readdirSync } from "node:fs";
import { endpointPackages } from "@fluxkit/endpoints";
import { endpointSpecs } from "@fluxkit/endpoints/specs";
import { describe, expect, it } from "vitest";
import { ConfigError, type EndpointSpecData, loadSpecCatalog } from "../src/index.js";
import { client, start } from "./helpers.js";

const NORMALIZED = new URL("../../../specs/normalized/", import.meta.url);

describe("spec catalog", () => {
  it("has every normalized spec, with the submit route, app and providers its package has", () => {
    const files = readdirSync(NORMALIZED).filter((f) => f.endsWith(".yaml"));
    const catalog = loadSpecCatalog();
    expect(catalog.map((e) => e.specFile).sort()).toEqual(files.map((f) => `specs/normalized/${f}`));
    const byId = Object.fromEntries(catalog.map((e) => [e.id, e]));
    expect(byId["fal-ai/flux-lora"]?.submit.path).toBe("/fal-ai/flux-lora");
    expect(byId["fal-ai/flux-lora/image-to-image"]?.app).toBe("fal-ai/flux-lora");
    expect(byId["fal-ai/flux-1/dev/image-to-image"]?.app).toBe("fal-ai/flux-1");
    for (const e of catalog) {
      expect(e.operations.map((o) => o.operationId).sort()).toEqual(["cancel", "getResult", "getStatus", "streamStatus", "submit"]);
      expect(e.providers.map((p) => p.provider)).toContain("fal");
      const definition = endpointPackages[e.id as keyof typeof endpointPackages]?.endpoint;
      expect(definition, `${e.id} has no package in @fluxkit/endpoints`).toBeDefined();
      expect({ app: e.app, submitPath: e.submit.path }).toEqual({ app: definition?.app, submitPath: definition?.submitPath });
    }
  });

  it("serves a new endpoint's spec data with no emulator code", async () => {
    const lora = endpointSpecs.find((e) => e.id === "fal-ai/flux-lora");
    const renamed = JSON.stringify(lora).replaceAll("fal-ai/flux-lora", "fal-ai/flux-new").replaceAll("@fluxkit/flux-lora", "@fluxkit/flux-new");
    const emulator = await start({ specs: [...endpointSpecs, JSON.parse(renamed) as EndpointSpecData] });
    expect(emulator.endpoints.map((e) => e.id)).toContain("fal-ai/flux-new");
    const c = client(emulator);
    const submitted = await c.submit("/fal-ai/flux-new", { prompt: "new", image_size: { width: 8, height: 8 } });
    expect(submitted.status).toBe(200);
    expect(submitted.body.status_url).toBe(`${emulator.url}/fal-ai/flux-new/requests/${submitted.body.request_id}/status`);
    await emulator.waitForJob(submitted.body.request_id);
    expect((await c.get(submitted.body.response_url)).status).toBe(200);
    expect((await c.submit("/fal-ai/flux-new", { image_size: "square" })).status).toBe(422);
  });

  it("refuses two specs with one submit path, naming both", async () => {
    const lora = endpointSpecs.find((e) => e.id === "fal-ai/flux-lora")!;
    const twin = { ...lora, id: "fal-ai/flux-lora-twin" };
    await expect(start({ specs: [lora, twin] })).rejects.toThrow(ConfigError);
    await expect(start({ specs: [lora, twin] })).rejects.toThrow(
      /fal-ai\/flux-lora-twin and fal-ai\/flux-lora both declare the submit path \/fal-ai\/flux-lora/,
    );
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
