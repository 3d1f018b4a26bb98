/**
 * Our Input validator against Ajv (the reference implementation of JSON Schema 2020-12, with the
 * options the endpoint packages used before): for every input generated from each generated
 * package's Input schema, both must accept or reject alike and report the same issues — path,
 * keyword and message — and the same fal 422 entries.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { falDetail, inputIssues, type Schema, type SchemaError, unsupportedKeywords, validateSchema } from "../src/index.js";
import { sampleInputs } from "./schema-samples.js";

const PACKAGES = join(dirname(fileURLToPath(import.meta.url)), "../..");
const schemaFiles = readdirSync(PACKAGES)
  .map((dir) => join(PACKAGES, dir, "src/generated/input-schema.ts"))
  .filter((file) => {
    try {
      return readdirSync(dirname(file)).includes("input-schema.ts");
    } catch {
      return false;
    }
  });

const Ajv = Ajv2020 as unknown as typeof Ajv2020.default;
const sorted = <T>(items: T[]) => items.map((i) => JSON.stringify(i)).sort();

describe("the Input validator agrees with Ajv", () => {
  it("finds the generated packages' Input schemas", () => {
    expect(schemaFiles.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of schemaFiles) {
    const name = file.split("/").at(-4);
    it(`on ${name}: same verdict, issues and fal entries for every generated input`, async () => {
      const { inputSchema } = (await import(pathToFileURL(file).href)) as { inputSchema: Schema };
      expect(unsupportedKeywords(inputSchema)).toEqual([]);
      const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
      const reference = ajv.compile(inputSchema);
      const inputs = sampleInputs(inputSchema as Record<string, unknown>);
      expect(inputs.length).toBeGreaterThan(200);
      let rejected = 0;
      for (const input of inputs) {
        const ours = validateSchema(inputSchema, input);
        const valid = reference(input);
        const theirs = (reference.errors ?? []) as SchemaError[];
        const context = JSON.stringify(input);
        expect(ours.length === 0, context).toBe(valid);
        expect(sorted(inputIssues(ours)), context).toEqual(sorted(inputIssues(theirs)));
        expect(sorted(falDetail(ours, ["body"])), context).toEqual(sorted(falDetail(theirs, ["body"])));
        if (!valid) rejected++;
      }
      // Both kinds are exercised, not just one.
      expect(rejected).toBeGreaterThan(inputs.length / 2);
      expect(rejected).toBeLessThan(inputs.length);
    });
  }
});
