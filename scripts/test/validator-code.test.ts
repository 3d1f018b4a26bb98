import { describe, expect, it } from "vitest";
import { compileValidator, inputJsonSchema } from "../src/generate/validator-code.js";

describe("compiled input validators", () => {
  it("emit self-contained ESM: no require, no import", () => {
    const code = compileValidator({
      type: "object",
      required: ["prompt"],
      properties: { prompt: { type: "string" }, n: { type: "integer", minimum: 1, maximum: 4 } },
    });
    expect(code).toContain("export const validate");
    expect(code).not.toMatch(/require\(|^import /m);
  });

  it("still refuse a schema that is not valid JSON Schema (checked once, by a shared instance)", () => {
    expect(() => compileValidator({ type: "strnig" })).toThrow(/not valid JSON Schema/);
  });

  it("gather referenced components under $defs and leave documentation out", () => {
    const doc = {
      components: {
        schemas: {
          Input: { type: "object", description: "x", properties: { size: { $ref: "#/components/schemas/Size" } } },
          Size: { type: "string", enum: ["a"], examples: ["a"] },
          Unused: { type: "number" },
        },
      },
    };
    expect(inputJsonSchema(doc)).toEqual({ type: "object", properties: { size: { $ref: "#/$defs/Size" } }, $defs: { Size: { type: "string", enum: ["a"] } } });
  });
});
