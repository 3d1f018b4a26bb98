/**
 * Canonical YAML: the same document always prints to the same bytes. Keys are sorted, with
 * two readable exceptions that are still deterministic: the top level follows the usual
 * OpenAPI order, and `properties` keep the vendor's order (parameter tables read as written).
 */
import { stringify } from "yaml";
import { isObject, type Json, type JsonObject } from "../json.js";

const TOP_LEVEL = ["openapi", "info", "jsonSchemaDialect", "servers", "security", "tags", "paths", "webhooks", "components"];

function sortValue(value: Json, keepOrder: boolean): Json {
  if (Array.isArray(value)) return value.map((v) => sortValue(v, false));
  if (!isObject(value)) return value;
  const keys = keepOrder ? Object.keys(value) : Object.keys(value).sort();
  const out: JsonObject = {};
  for (const key of keys) out[key] = sortValue(value[key]!, key === "properties" && !keepOrder);
  return out;
}

export function canonicalize(doc: JsonObject): JsonObject {
  const sorted = sortValue(doc, false) as JsonObject;
  const out: JsonObject = {};
  for (const key of TOP_LEVEL) if (key in sorted) out[key] = sorted[key]!;
  for (const key of Object.keys(sorted)) if (!(key in out)) out[key] = sorted[key]!;
  return out;
}

export function toYaml(doc: JsonObject, header: string): string {
  return `${header}\n${stringify(canonicalize(doc), { indent: 2, lineWidth: 0, aliasDuplicateObjects: false, sortMapEntries: false })}`;
}
