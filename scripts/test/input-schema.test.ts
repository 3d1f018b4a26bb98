import { describe, expect, it } from "vitest";
import { checkInputSchema, inputJsonSchema } from "../src/generate/input-schema.js";

describe("the Input schema a package ships", () => {
  it("passes when @fluxkit/protocol's validator checks every keyword it uses", () => {
    expect(() =>
      checkInputSchema({
        type: "object",
        required: ["prompt"],
        properties: { prompt: { type: "string", description: "d" }, n: { type: "integer", minimum: 1, maximum: 4, default: 1 } },
      }),
    ).not.toThrow();
  });

  it("is refused when it is not valid JSON Schema (checked once, by a shared instance)", () => {
    expect(() => checkInputSchema({ type: "strnig" })).toThrow(/not valid JSON Schema/);
  });

  it("is refused, naming the keyword and where, when the validator would not check a keyword", () => {
    expect(() => checkInputSchema({ type: "object", properties: { url: { type: "string", format: "uri" } } }, "fal-ai/x: the Input schema")).toThrow(
      /fal-ai\/x: the Input schema uses keywords @fluxkit\/protocol's validator does not check \(\/properties\/url: format\)/,
    );
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
