/** 1. Every example in every normalized spec validates against its own schema. */
import { describe, expect, it } from "vitest";
import { specValidator } from "../src/schema-validator.js";
import { isObject, loadEndpoints, type JsonObject, type JsonValue } from "../src/spec-catalog.js";

interface FoundExample {
  where: string;
  schemaPointer: string;
  value: JsonValue;
}

/** Media-type examples (with their schema) and schema-level `examples`, anywhere in the doc. */
function examplesOf(doc: JsonObject): FoundExample[] {
  const found: FoundExample[] = [];
  const walk = (node: JsonValue, pointer: string) => {
    if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) walk(child, `${pointer}/${i}`);
      return;
    }
    if (!isObject(node)) return;
    if (isObject(node.schema) && node.example !== undefined) {
      found.push({ where: `${pointer}/example`, schemaPointer: `#${pointer}/schema`, value: node.example });
    }
    if (Array.isArray(node.examples) && (pointer.includes("/schemas/") || pointer.includes("/properties/"))) {
      for (const [i, value] of node.examples.entries()) found.push({ where: `${pointer}/examples/${i}`, schemaPointer: `#${pointer}`, value });
    }
    for (const [key, child] of Object.entries(node)) {
      if (key !== "example" && key !== "examples") walk(child, `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
    }
  };
  walk(doc, "");
  return found;
}

describe.each(loadEndpoints())("$slug", (endpoint) => {
  const validator = specValidator(endpoint.doc);
  const examples = examplesOf(endpoint.doc);

  it("has examples for the request and the submit answer", () => {
    expect(examples.map((e) => e.where)).toEqual(
      expect.arrayContaining([
        expect.stringContaining("/post/requestBody/content/application~1json/example"),
        expect.stringContaining("/responses/200/content/application~1json/example"),
      ]),
    );
  });

  it("every example validates against its schema", () => {
    for (const example of examples) {
      expect(validator.errors(example.schemaPointer, example.value), example.where).toEqual([]);
    }
  });

  it("the validator is not a rubber stamp", () => {
    expect(validator.errors("#/components/schemas/Input", { prompt: 1 })).not.toEqual([]);
  });
});
