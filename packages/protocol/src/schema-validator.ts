/**
 * A small JSON Schema (2020-12) interpreter for the Input schemas the generated packages ship as
 * data (`inputSchema`). It covers the keywords in SUPPORTED_KEYWORDS, which are the ones the
 * normalized specs use; `pnpm generate` fails on a schema with any other, so nothing is skipped
 * silently. Errors have Ajv's shape (`instancePath`, `keyword`, `params`, `message`) and are
 * checked against Ajv by a differential test (test/schema-validator.differential.test.ts).
 */

/** One failed check, as Ajv (`allErrors: true`) reports it. */
export interface SchemaError {
  /** JSON pointer into the value: `""`, `"/num_images"`, `"/loras/0/scale"`. */
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string | undefined;
}

/** A JSON Schema object (the subset this validator reads). */
export type Schema = { readonly [keyword: string]: unknown };

/** Keywords that constrain a value, all of which this validator checks. */
export const SUPPORTED_KEYWORDS: readonly string[] = [
  "type",
  "enum",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "required",
  "properties",
  "items",
  "anyOf",
  "$ref",
  "$defs",
];

/** Keywords that only document a schema: ignored, like any `x-` extension. */
export const ANNOTATION_KEYWORDS: readonly string[] = [
  "title",
  "description",
  "default",
  "examples",
  "example",
  "summary",
  "deprecated",
  "readOnly",
  "writeOnly",
  "$comment",
  "$schema",
];

/** Every keyword of `schema` (and its subschemas) this validator would not check, as `pointer: keyword`. */
export function unsupportedKeywords(schema: Schema): string[] {
  const found: string[] = [];
  const visit = (node: unknown, pointer: string): void => {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return;
    for (const [key, child] of Object.entries(node)) {
      if (key.startsWith("x-") || ANNOTATION_KEYWORDS.includes(key)) continue;
      if (!SUPPORTED_KEYWORDS.includes(key)) found.push(`${pointer || "/"}: ${key}`);
      else if (key === "properties" || key === "$defs") {
        for (const [name, sub] of Object.entries(child as object)) visit(sub, `${pointer}/${key}/${name}`);
      } else if (key === "items") visit(child, `${pointer}/items`);
      else if (key === "anyOf") {
        for (const [i, sub] of (child as unknown[]).entries()) visit(sub, `${pointer}/anyOf/${i}`);
      }
    }
  };
  visit(schema, "");
  return found;
}

const LIMITS: readonly (readonly [keyword: string, comparison: string, ok: (value: number, limit: number) => boolean])[] = [
  ["minimum", ">=", (v, l) => v >= l],
  ["maximum", "<=", (v, l) => v <= l],
  ["exclusiveMinimum", ">", (v, l) => v > l],
  ["exclusiveMaximum", "<", (v, l) => v < l],
];

const typeOf = (value: unknown): string => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

function hasType(value: unknown, type: string): boolean {
  if (type === "integer") return Number.isInteger(value);
  if (type === "number") return Number.isFinite(value);
  return typeOf(value) === type;
}

const pointerPart = (key: string) => (key.includes("~") || key.includes("/") ? key.replace(/~/g, "~0").replace(/\//g, "~1") : key);

/** Every way `value` breaks `schema` (whose `$ref`s point into its own `$defs`); empty when it is valid. */
export function validateSchema(schema: Schema, value: unknown): SchemaError[] {
  const errors: SchemaError[] = [];
  const defs = (schema.$defs ?? {}) as Record<string, Schema>;
  const fail = (instancePath: string, keyword: string, params: Record<string, unknown>, message: string) => {
    errors.push({ instancePath, keyword, params, message });
  };
  const check = (node: Schema, data: unknown, path: string): void => {
    const ref = node.$ref as string | undefined;
    if (ref !== undefined) {
      const target = ref.startsWith("#/$defs/") ? defs[ref.slice(8)] : undefined;
      if (target === undefined) throw new Error(`the schema has no ${ref}`);
      check(target, data, path);
    }
    const type = node.type as string | readonly string[] | undefined;
    if (type !== undefined && !(typeof type === "string" ? hasType(data, type) : type.some((t) => hasType(data, t)))) {
      fail(path, "type", { type }, `must be ${type}`);
    }
    const allowed = node.enum as readonly unknown[] | undefined;
    if (allowed !== undefined && !allowed.includes(data) && !allowed.some((v) => typeof v === "object" && JSON.stringify(v) === JSON.stringify(data))) {
      fail(path, "enum", { allowedValues: allowed }, "must be equal to one of the allowed values");
    }
    const branches = node.anyOf as readonly Schema[] | undefined;
    if (branches !== undefined) {
      const before = errors.length;
      const passed = branches.some((branch) => {
        const count = errors.length;
        check(branch, data, path);
        return errors.length === count;
      });
      // Like Ajv: a passing branch clears the others' errors; none passing keeps them, then says so.
      if (passed) errors.length = before;
      else fail(path, "anyOf", {}, "must match a schema in anyOf");
    }
    if (Number.isFinite(data)) {
      for (const [keyword, comparison, ok] of LIMITS) {
        const limit = node[keyword] as number | undefined;
        if (limit !== undefined && !ok(data as number, limit)) fail(path, keyword, { comparison, limit }, `must be ${comparison} ${limit}`);
      }
    } else if (Array.isArray(data)) {
      const items = node.items as Schema | undefined;
      if (items !== undefined) for (let i = 0; i < data.length; i++) check(items, data[i], `${path}/${i}`);
    } else if (data !== null && typeof data === "object") {
      const record = data as Record<string, unknown>;
      const required = node.required as readonly string[] | undefined;
      if (required !== undefined) {
        for (const name of required)
          if (!Object.hasOwn(record, name)) fail(path, "required", { missingProperty: name }, `must have required property '${name}'`);
      }
      const properties = node.properties as Record<string, Schema> | undefined;
      for (const name in properties) {
        if (Object.hasOwn(record, name)) check(properties[name]!, record[name], `${path}/${pointerPart(name)}`);
      }
    }
  };
  check(schema, value, "");
  return errors;
}
