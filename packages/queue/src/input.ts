/**
 * The input as it will be sent. It is serialized once; that text is parsed back and the parsed
 * value is what gets validated; the same text is the request body. So an inherited property, a
 * `toJSON` override or a getter cannot make the validated input differ from the bytes sent, and
 * a value JSON cannot carry (a cycle, a BigInt, a depth beyond the engine's) is a
 * ValidationError before anything is sent.
 */
import type { EndpointDefinition, InputIssue } from "@fluxkit/protocol";
import { ValidationError } from "./errors.js";
import { isRecord } from "./is-record.js";
import { formatIssues } from "./messages.js";

export interface InputCheckOptions {
  /**
   * Send fields the endpoint's schema does not list (for example one the provider added after
   * this package was generated). Default false: an unknown field is an issue, with the nearest
   * known name suggested, because it is far more often a typo that the server would ignore.
   */
  readonly allowUnknownFields?: boolean | undefined;
}

export interface CheckedInput {
  /** The JSON text to send; undefined when the input cannot be serialized. */
  readonly body: string | undefined;
  /** Every problem found (empty: `body` is ready to send). */
  readonly issues: readonly InputIssue[];
}

/** Serializes once, then validates the parsed text: every issue, nothing thrown. */
export function checkInput(endpoint: EndpointDefinition<unknown, unknown>, input: unknown, options: InputCheckOptions = {}): CheckedInput {
  let body: string | undefined;
  try {
    body = JSON.stringify(input);
  } catch (error) {
    return { body: undefined, issues: [{ path: "", message: `cannot be sent as JSON: ${whyNotJson(error)}`, keyword: "json" }] };
  }
  if (body === undefined) {
    return { body: undefined, issues: [{ path: "", message: `must be a JSON object, got ${typeof input}`, keyword: "type" }] };
  }
  const value: unknown = JSON.parse(body);
  const issues: InputIssue[] = [];
  try {
    issues.push(...endpoint.validateInput(value));
  } catch (error) {
    issues.push({ path: "", message: `the endpoint's validator failed: ${String((error as Error)?.message ?? error).slice(0, 200)}`, keyword: "validator" });
  }
  if (options.allowUnknownFields !== true && endpoint.inputFields !== undefined) {
    issues.push(...unknownFieldIssues(value, endpoint.inputFields, endpoint.id));
  }
  return { body, issues };
}

/** The body to send, or a ValidationError listing every issue (nothing is sent then). */
export function prepareInput(endpoint: EndpointDefinition<unknown, unknown>, input: unknown, options: InputCheckOptions = {}): string {
  const { body, issues } = checkInput(endpoint, input, options);
  if (issues.length > 0 || body === undefined) {
    const unknown = issues.some((i) => i.keyword === UNKNOWN_FIELD);
    throw new ValidationError(
      `Invalid input for ${endpoint.id} (${issues.length} issue${issues.length === 1 ? "" : "s"}): ${formatIssues(issues)}. Nothing was sent.` +
        (unknown ? " To send fields this package does not know yet, pass allowUnknownFields: true." : ""),
      issues,
    );
  }
  return body;
}

function whyNotJson(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError) return "it is nested too deeply";
  if (/bigint/i.test(message)) return "it holds a BigInt, which JSON cannot carry; use a number or a string";
  if (/circular|cyclic/i.test(message)) return "it refers to itself (a cycle)";
  return `serializing it failed (${message.slice(0, 200)})`;
}

/** Ajv's keyword for the same rule, so callers can branch on it either way. */
export const UNKNOWN_FIELD = "additionalProperties";

/** Pattern → the set of every pattern prefix under it, per field map (so the walk only enters known places). */
const prefixCache = new WeakMap<object, Set<string>>();

function prefixesOf(fields: Readonly<Record<string, readonly string[]>>): Set<string> {
  let prefixes = prefixCache.get(fields);
  if (prefixes === undefined) {
    prefixes = new Set([""]);
    for (const pattern of Object.keys(fields)) {
      const parts = pattern === "" ? [] : pattern.split(".");
      for (let i = 1; i <= parts.length; i++) prefixes.add(parts.slice(0, i).join("."));
    }
    prefixCache.set(fields, prefixes);
  }
  return prefixes;
}

const join = (base: string, part: string) => (base === "" ? part : `${base}.${part}`);

/**
 * Fields the schema does not list, anywhere it lists an object's fields (`inputFields`: a
 * pattern such as `""`, `"loras.*"` or `"image_size"` → that object's field names).
 */
export function unknownFieldIssues(value: unknown, fields: Readonly<Record<string, readonly string[]>>, endpointId: string): InputIssue[] {
  const prefixes = prefixesOf(fields);
  const issues: InputIssue[] = [];
  const stack: { value: unknown; pattern: string; path: string }[] = [{ value, pattern: "", path: "" }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const children: { value: unknown; pattern: string; path: string }[] = [];
    if (Array.isArray(item.value)) {
      const pattern = join(item.pattern, "*");
      if (prefixes.has(pattern)) {
        for (const [i, v] of item.value.entries()) children.push({ value: v, pattern, path: join(item.path, String(i)) });
      }
    } else if (isRecord(item.value)) {
      const known = fields[item.pattern];
      for (const key of Object.keys(item.value)) {
        const path = join(item.path, key);
        if (known !== undefined && !known.includes(key)) {
          const guess = nearestName(key, known);
          issues.push({
            path,
            message: `is not an input field of ${endpointId}${guess === undefined ? "" : `; did you mean "${guess}"?`}`,
            keyword: UNKNOWN_FIELD,
          });
          continue;
        }
        const pattern = join(item.pattern, key);
        if (prefixes.has(pattern)) children.push({ value: item.value[key], pattern, path });
      }
    }
    // Reversed, so issues come out in the input's own order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as (typeof children)[number]);
  }
  return issues;
}

/** The known name closest to a typo (transpositions count once), when it is close enough to be meant. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-\s]/g, "_");
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = editDistance(norm(name), norm(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Number.POSITIVE_INFINITY;
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((d[(i - 1) * cols + j] as number) + 1, (d[i * cols + j - 1] as number) + 1, (d[(i - 1) * cols + j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[(i - 2) * cols + j - 2] as number) + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1] as number;
}
