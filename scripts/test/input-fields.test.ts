import { describe, expect, it } from "vitest";
import { inputFieldMap } from "../src/generate/input-fields.js";

describe("inputFieldMap: every object's field names, by path pattern", () => {
  it("lists the input, array items and the object branch of a union, following $refs", () => {
    const schema = {
      type: "object",
      properties: {
        prompt: { type: "string" },
        image_size: { anyOf: [{ $ref: "#/$defs/Preset" }, { $ref: "#/$defs/Size" }] },
        loras: { type: "array", items: { $ref: "#/$defs/Lora" } },
      },
      $defs: {
        Preset: { type: "string", enum: ["square"] },
        Size: { type: "object", properties: { width: { type: "integer" }, height: { type: "integer" } } },
        Lora: { type: "object", properties: { scale: { type: "number" }, path: { type: "string" } } },
      },
    };
    expect(inputFieldMap(schema)).toEqual({
      "": ["image_size", "loras", "prompt"],
      image_size: ["height", "width"],
      "loras.*": ["path", "scale"],
    });
  });

  it("leaves out objects that admit any field, and survives a schema that refers to itself", () => {
    const schema = {
      type: "object",
      properties: {
        extra: { type: "object", additionalProperties: true, properties: { a: { type: "string" } } },
        free: { type: "object" },
        tree: { $ref: "#/$defs/Node" },
      },
      $defs: { Node: { type: "object", properties: { child: { $ref: "#/$defs/Node" } } } },
    };
    const map = inputFieldMap(schema);
    expect(map[""]).toEqual(["extra", "free", "tree"]);
    expect(map.extra).toBeUndefined();
    expect(map.free).toBeUndefined();
    expect(map.tree).toEqual(["child"]);
    expect(Object.keys(map).length).toBeLessThan(12);
  });
});
