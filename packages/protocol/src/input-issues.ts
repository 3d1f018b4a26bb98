/**
 * Schema errors (ours or Ajv's: same shape) → the issues users see, and fal's 422 `detail`
 * → the same issues. One mapping, used by the endpoint packages, the queue and the contract suites.
 */
import type { InputIssue } from "./endpoint.js";
import { type Schema, type SchemaError, validateSchema } from "./schema-validator.js";

/** `"/loras/0/scale"` → `["loras", "0", "scale"]` */
export function pointerSegments(pointer: string): string[] {
  return pointer === ""
    ? []
    : pointer
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

const isUnion = (e: SchemaError) => e.keyword === "anyOf" || e.keyword === "oneOf";

/** True when `error` is one branch's complaint inside a failed union (at or below its path). */
export function withinUnion(error: SchemaError, unions: readonly SchemaError[]): boolean {
  return unions.some((u) => u !== error && (error.instancePath === u.instancePath || error.instancePath.startsWith(`${u.instancePath}/`)));
}

/** Schema errors → issues. A failed anyOf/oneOf is one issue ("none matched"); its branches' complaints are noise. */
export function inputIssues(errors: readonly SchemaError[]): InputIssue[] {
  const unions = errors.filter(isUnion);
  return errors
    .filter((e) => isUnion(e) || !withinUnion(e, unions))
    .map((error) => {
      const segments = pointerSegments(error.instancePath);
      const missing = error.params.missingProperty;
      if (error.keyword === "required" && typeof missing === "string") segments.push(missing);
      return { path: segments.join("."), message: error.message ?? error.keyword, keyword: error.keyword };
    });
}

/** Every way `input` breaks an Input schema (as the generated packages ship it), as issues; empty when valid. */
export function validateInput(schema: Schema, input: unknown): InputIssue[] {
  return inputIssues(validateSchema(schema, input));
}

/** Most issues kept from a server's `detail[]`; a hostile body may list millions. */
const MAX_SERVER_ISSUES = 50;

const plainText = (value: unknown, max: number): string => {
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

/**
 * fal's 422 `detail` (`[{loc, msg, type, ctx?}]`, or a string) → issues. `show` turns each value
 * from the body into display text; pass a redacting one for server answers.
 */
export function issuesFromFalDetail(detail: unknown, show: (value: unknown, max: number) => string = plainText): InputIssue[] {
  if (typeof detail === "string") return [{ path: "", message: show(detail, 500), keyword: "server" }];
  if (!Array.isArray(detail)) return [];
  return detail.slice(0, MAX_SERVER_ISSUES).map((item: unknown) => {
    const entry = (item !== null && typeof item === "object" && !Array.isArray(item) ? item : {}) as Record<string, unknown>;
    const loc = Array.isArray(entry.loc) ? entry.loc.slice(0, 20).map((part: unknown) => show(part, 100)) : [];
    // FastAPI prefixes body fields with "body"; the input path is what users know.
    if (loc[0] === "body") loc.shift();
    return {
      path: loc.join("."),
      message: show(typeof entry.msg === "string" ? entry.msg : item, 300),
      keyword: typeof entry.type === "string" ? show(entry.type, 100) : "server",
    };
  });
}
