/**
 * OpenAPI 3.0 → 3.1: `nullable` becomes a type union with "null", schema `example` becomes
 * `examples`, boolean exclusive bounds become numeric ones.
 */
import { walkSchemas, type JsonObject } from "../../json.js";
import type { Rule } from "./types.js";

function upgradeSchema(schema: JsonObject): void {
  if (schema.nullable === true) {
    const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
    if (types.length > 0 && !types.includes("null")) schema.type = [...types, "null"];
  }
  delete schema.nullable;
  if ("example" in schema) {
    if (!("examples" in schema)) schema.examples = [schema.example!];
    delete schema.example;
  }
  for (const [flag, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof schema[flag] === "boolean") {
      if (schema[flag] === true && typeof schema[bound] === "number") {
        schema[flag] = schema[bound]!;
        delete schema[bound];
      } else delete schema[flag];
    }
  }
}

export const openapi31: Rule = {
  name: "openapi-3.1",
  apply(doc, ctx) {
    if (typeof doc.openapi === "string" && doc.openapi.startsWith("3.0")) ctx.report(`openapi ${doc.openapi} → 3.1.0`);
    doc.openapi = "3.1.0";
    for (const { schema } of walkSchemas(doc)) upgradeSchema(schema);
  },
};
