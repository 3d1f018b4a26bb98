/**
 * A provider is one entry in specs/providers.yaml and a regenerate: the table @fluxkit/protocol
 * reads is generated from it, and the auth and token functions work from that table alone.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateProviderTable, PROVIDER_TABLE_PATH, parseProviders, readProviders } from "../src/generate/provider-table.js";
import { REPO } from "./helpers.js";

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fluxkit-providers-"));
  await cp(join(REPO, "specs/providers.yaml"), join(root, "specs/providers.yaml"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("the provider table", () => {
  it("is what pnpm generate committed for the repo's providers.yaml", async () => {
    const table = generateProviderTable(await readProviders(REPO));
    expect(table.path).toBe(PROVIDER_TABLE_PATH);
    expect(table.content).toBe(await readFile(join(REPO, PROVIDER_TABLE_PATH), "utf8"));
  });

  it("takes a fourth provider from one more entry, and the protocol's auth and token functions serve it", async () => {
    const yaml = await readFile(join(root, "specs/providers.yaml"), "utf8");
    await writeFile(
      join(root, "specs/providers.yaml"),
      `${yaml}acme:\n  url: https://queue.acme.example/v1/\n  auth: key\n  token_env: ACME_KEY\n  description: "acme gateway"\n`,
    );
    const table = generateProviderTable(await readProviders(root));
    expect(table.content).toContain(`"acme": { baseUrl: "https://queue.acme.example/v1", auth: "key", tokenEnv: "ACME_KEY" },`);
    expect(table.content).toContain(`"fal": { baseUrl: "https://queue.fal.run", auth: "key", tokenEnv: "FAL_KEY" },`);

    // The protocol's own sources with this table in place of the committed one.
    const src = join(root, "protocol-src");
    await cp(join(REPO, "packages/protocol/src"), src, { recursive: true });
    await writeFile(join(src, "generated/providers.ts"), table.content);
    const protocol = await import(pathToFileURL(join(src, "index.ts")).href);
    expect(protocol.providerNames).toEqual(["chainhub", "kkiai", "fal", "acme"]);
    const preset = protocol.providerPresets.acme;
    expect(protocol.authorizationValue(preset.auth, "acme-secret")).toBe("Key acme-secret");
    expect(protocol.findToken("acme", undefined, { ACME_KEY: "acme-secret", FAL_KEY: "fal-secret" })).toBe("acme-secret");
    expect(() => protocol.requireToken("acme", undefined, { FAL_KEY: "fal-secret" })).toThrow(
      'No token for provider "acme": pass { token } or set ACME_KEY or FLUXKIT_TOKEN.',
    );
  });

  it("refuses an entry it cannot serve, naming the provider and the field", () => {
    const entry = (fields: string) => `acme:\n${fields}`;
    expect(() => parseProviders(entry("  url: http://x.example\n  auth: key\n  token_env: ACME_KEY\n"))).toThrow(/provider "acme": url must be https/);
    expect(() => parseProviders(entry("  url: https://x.example\n  auth: basic\n  token_env: ACME_KEY\n"))).toThrow(
      /provider "acme": auth must be "bearer" or "key"/,
    );
    expect(() => parseProviders(entry("  url: https://x.example\n  auth: key\n"))).toThrow(/provider "acme": token_env must name an environment variable/);
  });
});
