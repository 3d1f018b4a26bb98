/** The classifier on hand-made before/after schemas: the Output side, unions, refs, cycles. */
import { describe, expect, it } from "vitest";
import { classifyEndpoint, highestBump } from "../src/release/classify.js";
import type { JsonObject } from "../src/json.js";

function spec(schemas: JsonObject, servers: string[] = ["https://api.chainhub.tech"]): JsonObject {
  return { openapi: "3.1.0", info: { title: "fal-ai/x", version: "1.0.0" }, servers: servers.map((url) => ({ url })), paths: {}, components: { schemas } };
}

const INPUT: JsonObject = {
  type: "object",
  required: ["prompt"],
  properties: { prompt: { type: "string" }, steps: { type: "integer", minimum: 1, maximum: 50 } },
};
const OUTPUT: JsonObject = {
  type: "object",
  required: ["images"],
  properties: { images: { type: "array", items: { $ref: "#/components/schemas/Image" } }, seed: { type: "integer" } },
};
const IMAGE: JsonObject = { type: "object", required: ["url"], properties: { url: { type: "string" }, width: { type: "integer" } } };
const base = () => spec({ Input: structuredClone(INPUT), Output: structuredClone(OUTPUT), Image: structuredClone(IMAGE) });

function classify(edit: (doc: JsonObject) => void) {
  const after = base();
  edit(after);
  return classifyEndpoint("fal-ai/x", base(), after).map((c) => [c.bump, c.kind, c.path]);
}
const schemas = (doc: JsonObject) => (doc.components as JsonObject).schemas as JsonObject;
const props = (doc: JsonObject, name: string) => (schemas(doc)[name] as JsonObject).properties as JsonObject;
/** An edit: schema `name`'s property `field` set to `value`, or removed when `value` is undefined. */
const setProp = (name: string, field: string, value: JsonObject | undefined) => (doc: JsonObject) => {
  if (value === undefined) delete props(doc, name)[field];
  else props(doc, name)[field] = value;
};

describe("classifyEndpoint", () => {
  it("identical specs: no changes; new and removed endpoints", () => {
    expect(classifyEndpoint("fal-ai/x", base(), base())).toEqual([]);
    expect(classifyEndpoint("fal-ai/x", null, base()).map((c) => [c.bump, c.kind])).toEqual([["minor", "endpoint-added"]]);
    expect(classifyEndpoint("fal-ai/x", base(), null).map((c) => [c.bump, c.kind])).toEqual([["major", "endpoint-removed"]]);
  });

  it("numeric bounds are judged by the values they accept, whichever keyword states them", () => {
    // For an integer, exclusiveMinimum 0 is minimum 1: nothing a user sends changes.
    expect(classify(setProp("Input", "steps", { type: "integer", exclusiveMinimum: 0, maximum: 50 }))).toEqual([
      ["patch", "constraint-changed", "Input.steps"],
    ]);
    // For a number it lets 0.5 through: wider.
    const number = (lower: JsonObject) => {
      const before = base();
      props(before, "Input").steps = { type: "number", minimum: 1 };
      const after = base();
      props(after, "Input").steps = { type: "number", ...lower };
      return classifyEndpoint("fal-ai/x", before, after).map((c) => [c.bump, c.kind]);
    };
    expect(number({ exclusiveMinimum: 0 })).toEqual([["minor", "range-widened"]]);
    expect(number({ exclusiveMinimum: 1 })).toEqual([["major", "range-narrowed"]]);
    expect(number({ minimum: 1 })).toEqual([]);
    expect(classify(setProp("Input", "steps", { type: "integer", minimum: 2, maximum: 50 }))).toEqual([["major", "range-narrowed", "Input.steps"]]);
  });

  it("Output, through a $ref: new field minor, removed field major, changed type major", () => {
    expect(classify(setProp("Image", "content_type", { type: "string" }))).toEqual([["minor", "field-added", "Output.images[].content_type"]]);
    expect(classify(setProp("Output", "seed", undefined))).toEqual([["major", "field-removed", "Output.seed"]]);
    expect(classify(setProp("Image", "width", { type: "string" }))).toEqual([["major", "type-changed", "Output.images[].width"]]);
    expect(
      classify((d) => {
        (schemas(d).Output as JsonObject).required = [];
      }),
    ).toEqual([["major", "field-now-optional", "Output.images"]]);
  });

  it("what does not change the TypeScript types or the validator: no bump", () => {
    // integer and number are both `number`; outputs are not validated.
    expect(classify(setProp("Output", "seed", { type: "number" }))).toEqual([["none", "type-changed", "Output.seed"]]);
    expect(
      classify((d) => {
        (d.info as JsonObject)["x-fluxkit-sources"] = [{ file: "a", sha256: "b" }];
      }),
    ).toEqual([["none", "provenance-changed", "info.x-fluxkit-sources"]]);
    // An output range is documentation only.
    expect(classify(setProp("Image", "width", { type: "integer", minimum: 1 }))).toEqual([["patch", "range-narrowed", "Output.images[].width"]]);
  });

  it("Input types: widening minor (integer → number), narrowing major (number → integer, nullable dropped)", () => {
    expect(classify(setProp("Input", "steps", { type: "number", minimum: 1, maximum: 50 }))).toEqual([["minor", "type-widened", "Input.steps"]]);
    expect(classify(setProp("Input", "prompt", { type: ["string", "null"] }))).toEqual([["minor", "type-widened", "Input.prompt"]]);
    const before = base();
    props(before, "Input").prompt = { type: ["string", "null"] };
    expect(classifyEndpoint("fal-ai/x", before, base()).map((c) => [c.bump, c.kind, c.path])).toEqual([["major", "type-narrowed", "Input.prompt"]]);
  });

  it("unions: a new variant is minor, a dropped one major, a change inside a named variant is located", () => {
    const union = (extra: JsonObject[] = []) => ({
      anyOf: [{ $ref: "#/components/schemas/Preset" }, { $ref: "#/components/schemas/Size" }, ...extra],
      default: "square",
    });
    const withUnion = (size: JsonObject, extra: JsonObject[] = []) => {
      const d = base();
      props(d, "Input").image_size = union(extra);
      schemas(d).Preset = { type: "string", enum: ["square", "landscape"] };
      schemas(d).Size = size;
      return d;
    };
    const size = { type: "object", required: ["width"], properties: { width: { type: "integer", maximum: 100 } } };
    const run = (before: JsonObject, after: JsonObject) => classifyEndpoint("fal-ai/x", before, after).map((c) => [c.bump, c.kind, c.path]);
    expect(run(withUnion(size), withUnion(size, [{ type: "integer" }]))).toEqual([["minor", "type-widened", "Input.image_size"]]);
    expect(run(withUnion(size, [{ type: "integer" }]), withUnion(size))).toEqual([["major", "type-narrowed", "Input.image_size"]]);
    const smaller = { ...size, properties: { width: { type: "integer", maximum: 64 } } };
    expect(run(withUnion(size), withUnion(smaller))).toEqual([["major", "range-narrowed", "Input.image_size<Size>.width"]]);
    // A plain string field that becomes a preset-or-size union only accepts more.
    const plain = base();
    props(plain, "Input").image_size = { type: "string", enum: ["square", "landscape"], description: "size" };
    const changes = run(plain, withUnion(size));
    expect(changes).toContainEqual(["minor", "type-widened", "Input.image_size"]);
    expect(highestBump(classifyEndpoint("fal-ai/x", plain, withUnion(size)))).toBe("minor");
  });

  it("servers and descriptions are patch; a recursive schema does not loop", () => {
    const moved = spec({ Input: structuredClone(INPUT), Output: structuredClone(OUTPUT), Image: structuredClone(IMAGE) }, [
      "https://api.chainhub.tech",
      "https://www.kkiai.com",
    ]);
    expect(classifyEndpoint("fal-ai/x", base(), moved).map((c) => [c.bump, c.kind, c.message])).toEqual([
      ["patch", "servers-changed", "server https://www.kkiai.com added"],
    ]);
    expect(
      classify((d) => {
        (props(d, "Input").prompt as JsonObject).description = "What to draw";
      }),
    ).toEqual([["patch", "description-changed", "Input.prompt"]]);

    const tree = (leaf: string) => {
      const d = base();
      schemas(d).Node = { type: "object", properties: { name: { type: leaf }, children: { type: "array", items: { $ref: "#/components/schemas/Node" } } } };
      props(d, "Input").tree = { $ref: "#/components/schemas/Node" };
      return d;
    };
    expect(classifyEndpoint("fal-ai/x", tree("string"), tree("integer")).map((c) => [c.bump, c.path])).toEqual([["major", "Input.tree.name"]]);
  });
});
