/**
 * The Input schema each endpoint package ships as data (`inputSchema`): the endpoint's Input
 * with every component it references under $defs. @fluxkit/protocol's validator interprets it
 * at run time, so generation refuses a schema that is not valid JSON Schema or that uses a
 * keyword that validator does not check.
 */
import Ajv2020 from "ajv/dist/2020.js";
import { isObject, type Json, type JsonObject } from "../json.js";
// The validator the packages run; imported from its source, as the generator runs before any build.
import { SUPPORTED_KEYWORDS, unsupportedKeywords } from "../../../packages/protocol/src/schema-validator.js";

// Keywords that document rather than constrain: left out of the shipped schema to keep it small.
const DOC_ONLY = new Set(["description", "examples", "example", "title", "summary", "deprecated", "discriminator", "externalDocs", "xml"]);

function stripForValidation(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripForValidation);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (DOC_ONLY.has(key) || key.startsWith("x-")) continue;
    out[key] =
      key === "properties" && isObject(child)
        ? Object.fromEntries(Object.entries(child).map(([k, v]) => [k, stripForValidation(v)]))
        : stripForValidation(child);
  }
  return out;
}

/** The Input schema with every component it references under $defs. */
export function inputJsonSchema(doc: JsonObject, options: { keepDocs?: boolean } = {}): JsonObject {
  const strip = options.keepDocs ? (v: Json) => v : stripForValidation;
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  const needed = new Set<string>();
  const visit = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        if (key === "$ref" && typeof child === "string" && child.startsWith("#/components/schemas/")) {
          const name = child.slice("#/components/schemas/".length);
          if (!needed.has(name)) {
            needed.add(name);
            visit(schemas[name] ?? null);
          }
        } else visit(child);
      }
    }
  };
  const input = schemas.Input;
  if (!isObject(input)) throw new Error("the document has no components.schemas.Input");
  visit(input);
  const rewrite = (node: Json): Json =>
    Array.isArray(node)
      ? node.map(rewrite)
      : isObject(node)
        ? Object.fromEntries(
            Object.entries(node).map(([k, v]) => [k, k === "$ref" && typeof v === "string" ? v.replace("#/components/schemas/", "#/$defs/") : rewrite(v)]),
          )
        : node;
  const $defs: JsonObject = {};
  for (const name of [...needed].sort()) $defs[name] = strip(rewrite(schemas[name]!));
  const root = strip(rewrite(input)) as JsonObject;
  return needed.size > 0 ? { ...root, $defs } : root;
}

const Ajv = Ajv2020 as unknown as typeof Ajv2020.default;
let schemaChecker: InstanceType<typeof Ajv> | undefined;

/** Throws, naming what to fix, unless @fluxkit/protocol's validator checks `schema` exactly as JSON Schema means it. */
export function checkInputSchema(schema: JsonObject, where = "the Input schema"): void {
  // Checking a schema against the 2020-12 meta-schema compiles that meta-schema first: done once.
  schemaChecker ??= new Ajv({ strict: false });
  if (!schemaChecker.validateSchema(schema)) {
    throw new Error(`${where} is not valid JSON Schema: ${schemaChecker.errorsText(schemaChecker.errors)}`);
  }
  const unsupported = unsupportedKeywords(schema);
  if (unsupported.length > 0) {
    throw new Error(
      `${where} uses keywords @fluxkit/protocol's validator does not check (${unsupported.join(", ")}); it checks ${SUPPORTED_KEYWORDS.join(", ")}. ` +
        "Support the keyword in packages/protocol/src/schema-validator.ts (with a case in its differential test), or rewrite the schema with an overlay.",
    );
  }
}
