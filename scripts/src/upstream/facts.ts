/**
 * Facts: a schema document flattened into one record per field, the unit the upstream check
 * compares and the upstream snapshot stores. A field is named by where a user meets it:
 * `Input.image_size`, `Input.image_size.width` (inside the object variant of a union),
 * `Input.loras[].scale`, `Output.images[].url`.
 *
 * Each record says whether the field is required, its JSON types, its enum or literal
 * values, its default and its range — and, for our own specs, the JSON pointer of the schema
 * node it was read from, so an overlay action that declares a deviation can be matched to
 * the facts it wrote.
 */
import { isObject, type Json, type JsonObject } from "../json.js";

/** What an upstream form can state at all; a fact it cannot state is not compared. */
export interface UpstreamLimits {
  /** false: `integer` and `number` are one type (TypeScript's `number`). */
  integers: boolean;
  /** false: no minimum/maximum is stated, so none is compared. */
  ranges: boolean;
  /** false: an unstated default may be false, 0, [] or an object (the form never prints those). */
  falsyDefaults: boolean;
}

/** An upstream form's schemas for one endpoint: `components.schemas.Input`/`Output` and what they refer to. */
export interface UpstreamDocument {
  /** Names the form and its version, e.g. "@fal-ai/client@1.10.1" or a source file. */
  form: string;
  limits: UpstreamLimits;
  doc: JsonObject;
}

export const RANGE_KEYS = ["minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"] as const;
export type RangeKey = (typeof RANGE_KEYS)[number];

export interface FieldFacts {
  required: boolean;
  /** Sorted JSON types; absent when the schema does not say (anything goes). */
  type?: string[];
  /** Sorted enum/const values; absent when the field is not limited to a list. */
  enum?: Json[];
  default?: Json;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
}

/** Where each fact was read from in our document (not part of the facts themselves). */
export interface FieldOrigin {
  /** The field's schema node (after following $refs), e.g. /components/schemas/ImageSize/properties/width. */
  node: string;
  /** The node that named the field (a property or `items`), before $refs were followed. */
  site: string;
  /** The object schema whose `required` list decides `required`. */
  parent: string | null;
}

export type FactsByField = Record<string, FieldFacts>;

const REF = "#/components/schemas/";
const escapePointer = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

function schemasOf(doc: JsonObject): JsonObject {
  return isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
}

interface Resolved {
  schema: JsonObject;
  pointer: string;
  /** Keys written beside a $ref (OpenAPI 3.1 allows description/default there): they win. */
  siblings: JsonObject;
}

function resolve(doc: JsonObject, node: Json | undefined, pointer: string): Resolved {
  let current: Json | undefined = node;
  let at = pointer;
  const siblings: JsonObject = {};
  for (let hops = 0; hops < 20 && isObject(current) && typeof current.$ref === "string" && current.$ref.startsWith(REF); hops++) {
    const { $ref, ...rest } = current;
    for (const [k, v] of Object.entries(rest)) if (!(k in siblings)) siblings[k] = v;
    const name = ($ref as string).slice(REF.length);
    at = `/components/schemas/${escapePointer(name)}`;
    current = schemasOf(doc)[name];
  }
  return { schema: isObject(current) ? current : {}, pointer: at, siblings };
}

/** The schema and its anyOf/oneOf variants, each resolved, with pointers. */
function variants(doc: JsonObject, resolved: Resolved): Resolved[] {
  const { schema, pointer } = resolved;
  const key = Array.isArray(schema.anyOf) ? "anyOf" : Array.isArray(schema.oneOf) ? "oneOf" : null;
  if (key === null) return [resolved];
  return (schema[key] as Json[]).flatMap((v, i) => variants(doc, resolve(doc, v, `${pointer}/${key}/${i}`)));
}

function typesOf(schema: JsonObject): string[] {
  if (typeof schema.type === "string") return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === "string");
  const values = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : null;
  if (values) return [...new Set(values.map((v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v)))];
  if (isObject(schema.properties)) return ["object"];
  if (isObject(schema.items)) return ["array"];
  return [];
}

const sortValues = (values: Json[]) => [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

export interface Flattened {
  facts: FactsByField;
  origins: Record<string, FieldOrigin>;
}

/** Every field under `components.schemas.Input` and `Output`, with its facts. */
export function flatten(doc: JsonObject): Flattened {
  const facts: FactsByField = {};
  const origins: Record<string, FieldOrigin> = {};
  const visit = (path: string, node: Json | undefined, site: string, required: boolean, parent: string | null, seen: Set<string>) => {
    const resolved = resolve(doc, node, site);
    if (seen.has(resolved.pointer)) return;
    const inner = new Set(seen).add(resolved.pointer);
    const parts = variants(doc, resolved);
    const types = new Set<string>();
    let typeStated = true;
    const values: Json[] = [];
    const record: FieldFacts = { required };
    for (const part of parts) {
      const t = typesOf(part.schema);
      if (t.length === 0) typeStated = false;
      for (const x of t) types.add(x);
      if (Array.isArray(part.schema.enum)) values.push(...part.schema.enum);
      else if (part.schema.const !== undefined) values.push(part.schema.const);
      for (const key of RANGE_KEYS) {
        if (record[key] === undefined && typeof part.schema[key] === "number") record[key] = part.schema[key] as number;
      }
    }
    if (typeStated && types.size > 0) record.type = [...types].sort();
    if (values.length > 0) record.enum = sortValues([...new Set(values.map((v) => JSON.stringify(v)))].map((v) => JSON.parse(v) as Json));
    const def = resolved.siblings.default ?? resolved.schema.default;
    if (def !== undefined) record.default = def;
    facts[path] = record;
    origins[path] = { node: resolved.pointer, site, parent };
    for (const part of parts) {
      const props = isObject(part.schema.properties) ? part.schema.properties : {};
      const req = new Set(Array.isArray(part.schema.required) ? part.schema.required : []);
      for (const [name, child] of Object.entries(props)) {
        visit(`${path}.${name}`, child, `${part.pointer}/properties/${escapePointer(name)}`, req.has(name), part.pointer, inner);
      }
      if (isObject(part.schema.items)) visit(`${path}[]`, part.schema.items, `${part.pointer}/items`, true, null, inner);
    }
  };
  const schemas = schemasOf(doc);
  for (const side of ["Input", "Output"]) {
    if (schemas[side] !== undefined) visit(side, { $ref: `${REF}${side}` }, `/components/schemas/${side}`, true, null, new Set());
  }
  // The roots are always there; only their fields are facts.
  delete facts.Input;
  delete facts.Output;
  delete origins.Input;
  delete origins.Output;
  return { facts, origins };
}

/** Facts in a stable key order, for snapshots and reports. */
export function sortFacts(facts: FactsByField): FactsByField {
  const order: (keyof FieldFacts)[] = ["required", "type", "enum", "default", ...RANGE_KEYS];
  const out: FactsByField = {};
  for (const path of Object.keys(facts).sort()) {
    const f = facts[path]!;
    const sorted = {} as Record<string, Json>;
    for (const key of order) if (f[key] !== undefined) sorted[key] = f[key] as Json;
    out[path] = sorted as unknown as FieldFacts;
  }
  return out;
}
