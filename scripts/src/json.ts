/** Small helpers for plain JSON values (what a parsed OpenAPI document is). */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Get (creating on the way) the object at `keys` under `root`. */
export function objectAt(root: JsonObject, ...keys: string[]): JsonObject {
  let node = root;
  for (const key of keys) {
    const next = node[key];
    if (isObject(next)) node = next;
    else node = node[key] = {};
  }
  return node;
}

/** Every schema object in a document (components, request bodies, responses, nested). */
export function* walkSchemas(node: Json, path = "$"): Generator<{ schema: JsonObject; path: string }> {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* walkSchemas(item, `${path}[${i}]`);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const childPath = `${path}.${key}`;
    if (key === "schema" && isObject(value)) yield* walkSchema(value, childPath);
    else if (key === "schemas" && isObject(value)) {
      for (const [name, schema] of Object.entries(value)) {
        if (isObject(schema)) yield* walkSchema(schema, `${childPath}.${name}`);
      }
    } else if (key !== "example" && key !== "examples") yield* walkSchemas(value, childPath);
  }
}

function* walkSchema(schema: JsonObject, path: string): Generator<{ schema: JsonObject; path: string }> {
  yield { schema, path };
  const properties = schema.properties;
  if (isObject(properties)) {
    for (const [name, child] of Object.entries(properties)) {
      if (isObject(child)) yield* walkSchema(child, `${path}.properties.${name}`);
    }
  }
  if (isObject(schema.items)) yield* walkSchema(schema.items, `${path}.items`);
  if (isObject(schema.additionalProperties)) yield* walkSchema(schema.additionalProperties, `${path}.additionalProperties`);
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    const list = schema[key];
    if (Array.isArray(list)) {
      for (const [i, child] of list.entries()) if (isObject(child)) yield* walkSchema(child, `${path}.${key}[${i}]`);
    }
  }
}
