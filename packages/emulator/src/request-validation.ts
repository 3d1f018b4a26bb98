/**
 * Validates requests against the normalized specs with Ajv (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1) and phrases failures the way fal does: `{detail: [{loc, msg, type, ctx?}]}`.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { EndpointSpec, JsonObject, OperationSpec } from "./spec-catalog.js";

/** One entry of fal's 422 `detail` list. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
}

// ajv-formats is CommonJS with a default export; under NodeNext its namespace may wrap it.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv2020) => void;

export class SpecValidator {
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(endpoints: readonly EndpointSpec[]) {
    // strict: false because OpenAPI adds keywords (discriminator, example, x-*) JSON Schema does not know.
    this.#ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    addFormats(this.#ajv);
    for (const e of endpoints) this.#ajv.addSchema({ ...e.document, $id: documentId(e) });
  }

  /** Issues of `value` against `components.schemas.<name>` of the endpoint's spec; empty when valid. */
  validateSchema(endpoint: EndpointSpec, name: string, value: unknown, loc: (string | number)[] = ["body"]): ValidationIssue[] {
    return this.#run(`${documentId(endpoint)}#/components/schemas/${name}`, { $ref: `${documentId(endpoint)}#/components/schemas/${name}` }, value, loc);
  }

  /** Query and header parameters of an operation, coerced from text by their schema's type. */
  validateParameters(
    endpoint: EndpointSpec,
    operation: OperationSpec,
    query: URLSearchParams,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    operation.parameters.forEach((p, index) => {
      if (p.in !== "query" && p.in !== "header") return;
      const raw = p.in === "query" ? (query.get(p.name) ?? undefined) : firstHeader(headers[p.name.toLowerCase()]);
      const loc = [p.in, p.in === "header" ? p.name.toLowerCase() : p.name];
      if (raw === undefined) {
        if (p.required) issues.push({ loc, msg: "Field required", type: "missing" });
        return;
      }
      const key = `${documentId(endpoint)}|${operation.operationId}|${index}`;
      issues.push(...this.#run(key, p.schema, coerce(raw, p.schema), loc));
    });
    return issues;
  }

  #run(key: string, schema: JsonObject, value: unknown, loc: (string | number)[]): ValidationIssue[] {
    let validate = this.#compiled.get(key);
    if (validate === undefined) {
      validate = this.#ajv.compile(schema);
      this.#compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return toIssues(validate.errors ?? [], loc);
  }
}

function documentId(endpoint: EndpointSpec): string {
  return `urn:fluxkit:${endpoint.id}`;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function coerce(raw: string, schema: JsonObject): unknown {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if ((types.includes("number") || types.includes("integer")) && raw.trim() !== "" && !Number.isNaN(Number(raw))) return Number(raw);
  if (types.includes("boolean") && (raw === "true" || raw === "false")) return raw === "true";
  return raw;
}

/** Ajv errors → fal/pydantic-style issues. Union branches collapse into one issue per union. */
export function toIssues(errors: readonly ErrorObject[], base: (string | number)[]): ValidationIssue[] {
  const unions = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  // Branch errors of a failed union (at or below its instance path) fold into the union's message.
  const inUnion = (e: ErrorObject, u: ErrorObject): boolean =>
    e !== u && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`));
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (unions.some((u) => inUnion(error, u))) continue;
    const loc = [...base, ...pointerToPath(error.instancePath)];
    let issue = describe(error, loc);
    if (error.keyword === "anyOf" || error.keyword === "oneOf") {
      const branches = errors
        .filter((e) => inUnion(e, error) && e.keyword !== "anyOf" && e.keyword !== "oneOf")
        .map((e) => {
          const inner = describe(e, pointerToPath(e.instancePath.slice(error.instancePath.length)));
          return inner.loc.length > 0 ? `${inner.loc.join(".")}: ${inner.msg}` : inner.msg;
        });
      if (branches.length > 0) issue = { ...issue, msg: `${issue.msg}: ${[...new Set(branches)].join("; or ")}` };
    }
    const key = JSON.stringify([issue.loc, issue.type]);
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(error: ErrorObject, loc: (string | number)[]): ValidationIssue {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return { loc: [...loc, String(params.missingProperty)], msg: "Field required", type: "missing" };
    case "maximum":
      return { loc, msg: `Input should be less than or equal to ${String(params.limit)}`, type: "less_than_equal", ctx: { le: params.limit } };
    case "minimum":
      return { loc, msg: `Input should be greater than or equal to ${String(params.limit)}`, type: "greater_than_equal", ctx: { ge: params.limit } };
    case "exclusiveMaximum":
      return { loc, msg: `Input should be less than ${String(params.limit)}`, type: "less_than", ctx: { lt: params.limit } };
    case "exclusiveMinimum":
      return { loc, msg: `Input should be greater than ${String(params.limit)}`, type: "greater_than", ctx: { gt: params.limit } };
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map((v) => `'${String(v)}'`);
      const expected = allowed.length > 1 ? `${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1) ?? ""}` : allowed.join("");
      return { loc, msg: `Input should be ${expected}`, type: "enum", ctx: { expected } };
    }
    case "const": {
      // pydantic's literal_error: `Input should be 'x'`, with the expected value in ctx.
      const expected = typeof params.allowedValue === "string" ? `'${params.allowedValue}'` : JSON.stringify(params.allowedValue);
      return { loc, msg: `Input should be ${expected}`, type: "literal_error", ctx: { expected } };
    }
    case "type": {
      const type = String(params.type).split(",")[0] ?? "value";
      const names: Record<string, [string, string]> = {
        integer: ["int_type", "a valid integer"],
        number: ["float_type", "a valid number"],
        string: ["string_type", "a valid string"],
        boolean: ["bool_type", "a valid boolean"],
        object: ["dict_type", "a valid dictionary"],
        array: ["list_type", "a valid list"],
        null: ["none_required", "None"],
      };
      const [t, what] = names[type] ?? ["type_error", `of type ${type}`];
      return { loc, msg: `Input should be ${what}`, type: t };
    }
    case "anyOf":
    case "oneOf":
      return { loc, msg: "Input does not match any of the allowed forms", type: "union_error" };
    case "format":
      return { loc, msg: `Input should be a valid ${String(params.format)}`, type: `${String(params.format)}_parsing` };
    case "minLength":
    case "maxLength":
      return {
        loc,
        msg: `String should have ${error.keyword === "minLength" ? "at least" : "at most"} ${String(params.limit)} characters`,
        type: error.keyword === "minLength" ? "string_too_short" : "string_too_long",
      };
    case "minItems":
    case "maxItems":
      return {
        loc,
        msg: `List should have ${error.keyword === "minItems" ? "at least" : "at most"} ${String(params.limit)} items`,
        type: error.keyword === "minItems" ? "too_short" : "too_long",
      };
    default:
      return { loc, msg: error.message ?? "Invalid value", type: "value_error" };
  }
}
