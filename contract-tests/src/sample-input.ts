/**
 * Inputs built from the spec alone: the smallest valid one (required fields only) and the
 * fullest (every field), so the suites need no hand-written fixture per endpoint.
 */
import { isObject, resolve, schemas, type JsonObject, type JsonValue, type SpecEndpoint } from "./spec-catalog.js";

function requestExample(endpoint: SpecEndpoint): JsonObject {
  const post = ((endpoint.doc.paths as JsonObject)[endpoint.submitPath] as JsonObject).post as JsonObject;
  const media = ((post.requestBody as JsonObject).content as JsonObject)["application/json"] as JsonObject;
  return isObject(media.example) ? media.example : {};
}

/** A value that satisfies `node`, preferring the spec's own example, default, enum. */
export function sampleValue(doc: JsonObject, node: JsonValue | undefined, example?: JsonValue): JsonValue {
  if (example !== undefined) return example;
  const schema = resolve(doc, node);
  if (schema.default !== undefined && !(Array.isArray(schema.default) && schema.default.length === 0)) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0]!;
  if (Array.isArray(schema.enum)) return schema.enum[0]!;
  if (schema.const !== undefined) return schema.const;
  const union = (schema.anyOf ?? schema.oneOf) as JsonValue[] | undefined;
  if (Array.isArray(union)) return sampleValue(doc, union[union.length - 1]);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "integer":
    case "number": {
      const lo = typeof schema.minimum === "number" ? schema.minimum : 1;
      const hi = typeof schema.maximum === "number" ? schema.maximum : lo + 1;
      const mid = (lo + hi) / 2;
      return type === "integer" ? Math.round(mid) : mid;
    }
    case "boolean":
      return true;
    case "array":
      return [sampleValue(doc, schema.items)];
    case "object":
      return fullObject(doc, schema, {});
    default:
      return "sample";
  }
}

function fullObject(doc: JsonObject, schema: JsonObject, example: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, prop] of Object.entries(isObject(schema.properties) ? schema.properties : {})) {
    out[name] = sampleValue(doc, prop, example[name]);
  }
  return out;
}

export function requiredOnlyInput(endpoint: SpecEndpoint): JsonObject {
  const input = schemas(endpoint.doc).Input as JsonObject;
  const example = requestExample(endpoint);
  const required = Array.isArray(input.required) ? input.required.map(String) : [];
  const properties = input.properties as JsonObject;
  return Object.fromEntries(required.map((name) => [name, sampleValue(endpoint.doc, properties[name], example[name])]));
}

export function everyFieldInput(endpoint: SpecEndpoint): JsonObject {
  return fullObject(endpoint.doc, schemas(endpoint.doc).Input as JsonObject, requestExample(endpoint));
}
