/**
 * Validates requests against the normalized specs with Ajv (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1) and phrases failures the way fal does: `{detail: [{loc, msg, type, ctx?}]}`.
 */
import { type FalDetailIssue, falDetail } from "@fluxkit/protocol";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { EndpointSpec, JsonObject, OperationSpec } from "./spec-catalog.js";

/** One entry of fal's 422 `detail` list. */
export type ValidationIssue = FalDetailIssue;

/** Ajv errors → fal/pydantic-style issues (@fluxkit/protocol's one mapping). Union branches collapse into one issue per union. */
export const toIssues = falDetail;

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
