/**
 * Schema errors phrased the way fal answers a 422: `{detail: [{loc, msg, type, ctx?}]}`
 * (pydantic's wording and error types). The emulator answers with these.
 */
import { pointerSegments, withinUnion } from "./input-issues.js";
import type { SchemaError } from "./schema-validator.js";

/** One entry of fal's 422 `detail` list. */
export interface FalDetailIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
}

const TYPE_NAMES: Record<string, [string, string]> = {
  integer: ["int_type", "a valid integer"],
  number: ["float_type", "a valid number"],
  string: ["string_type", "a valid string"],
  boolean: ["bool_type", "a valid boolean"],
  object: ["dict_type", "a valid dictionary"],
  array: ["list_type", "a valid list"],
  null: ["none_required", "None"],
};

const BOUNDS: Record<string, [string, string, string]> = {
  maximum: ["less than or equal to", "less_than_equal", "le"],
  minimum: ["greater than or equal to", "greater_than_equal", "ge"],
  exclusiveMaximum: ["less than", "less_than", "lt"],
  exclusiveMinimum: ["greater than", "greater_than", "gt"],
};

const pathOf = (pointer: string) => pointerSegments(pointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** Schema errors → fal's `detail` entries under `base` (e.g. `["body"]`). A failed union is one entry naming what each branch wanted. */
export function falDetail(errors: readonly SchemaError[], base: (string | number)[]): FalDetailIssue[] {
  const unions = errors.filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf");
  const issues: FalDetailIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (withinUnion(error, unions)) continue;
    let issue = describe(error, [...base, ...pathOf(error.instancePath)]);
    if (unions.includes(error)) {
      const branches = errors
        .filter((e) => withinUnion(e, [error]) && !unions.includes(e))
        .map((e) => {
          const inner = describe(e, pathOf(e.instancePath.slice(error.instancePath.length)));
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

function describe(error: SchemaError, loc: (string | number)[]): FalDetailIssue {
  const params = error.params as Record<string, unknown>;
  const keyword = error.keyword;
  const bound = BOUNDS[keyword];
  if (bound !== undefined) {
    const [words, type, key] = bound;
    return { loc, msg: `Input should be ${words} ${String(params.limit)}`, type, ctx: { [key]: params.limit } };
  }
  switch (keyword) {
    case "required":
      return { loc: [...loc, String(params.missingProperty)], msg: "Field required", type: "missing" };
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
      const [t, what] = TYPE_NAMES[type] ?? ["type_error", `of type ${type}`];
      return { loc, msg: `Input should be ${what}`, type: t };
    }
    case "anyOf":
    case "oneOf":
      return { loc, msg: "Input does not match any of the allowed forms", type: "union_error" };
    case "format":
      return { loc, msg: `Input should be a valid ${String(params.format)}`, type: `${String(params.format)}_parsing` };
    case "minLength":
    case "maxLength":
    case "minItems":
    case "maxItems": {
      const least = keyword.startsWith("min");
      const list = keyword.endsWith("Items");
      return {
        loc,
        msg: `${list ? "List" : "String"} should have ${least ? "at least" : "at most"} ${String(params.limit)} ${list ? "items" : "characters"}`,
        type: list ? (least ? "too_short" : "too_long") : least ? "string_too_short" : "string_too_long",
      };
    }
    default:
      return { loc, msg: error.message ?? "Invalid value", type: "value_error" };
  }
}
