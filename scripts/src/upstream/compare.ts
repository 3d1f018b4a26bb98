/**
 * The upstream comparison: our normalized Input and Output against an upstream form's, field
 * by field — presence, required, type, enum/literal values, default, and range where the
 * form states ranges. A difference stands unless an overlay action that wrote it declares it
 * (`x-fluxkit-upstream-deviation`); a declaration that covers no difference is stale.
 */
import { deepEqual, type Json } from "../json.js";
import type { DeclaredDeviation } from "../normalize/normalize.js";
import { type FactsByField, type FieldFacts, type FieldOrigin, RANGE_KEYS, type RangeKey, type UpstreamLimits } from "./facts.js";

export type FactName = "presence" | "required" | "type" | "enum" | "default" | RangeKey;

export interface Difference {
  endpoint: string;
  /** The upstream form compared with, e.g. "@fal-ai/client@1.10.1". */
  form: string;
  field: string;
  fact: FactName;
  upstream: string;
  ours: string;
  /** The overlay action that declares this difference deliberate, if any. */
  deviation?: DeclaredDeviation;
}

export interface Comparison {
  differences: Difference[];
  /** Declared deviations that match no difference (the upstream now agrees, or the target moved). */
  stale: DeclaredDeviation[];
  /** Fields compared (present on both sides). */
  compared: number;
}

const ABSENT = "—";
const show = (value: Json | undefined) => (value === undefined ? ABSENT : JSON.stringify(value));

/** `Input.image_size.width` → `Input.image_size`; `Input.loras[]` → `Input.loras`; roots → null. */
export function parentField(field: string): string | null {
  const match = /^(.*?)(\.[^.[\]]+|\[\])$/.exec(field);
  if (!match || match[1] === "Input" || match[1] === "Output") return null;
  return match[1]!;
}

function typesFor(facts: FieldFacts, limits: UpstreamLimits): string[] | undefined {
  if (facts.type === undefined) return undefined;
  return limits.integers ? facts.type : [...new Set(facts.type.map((t) => (t === "integer" ? "number" : t)))].sort();
}

/** A default the form would never print: the TypeScript type map omits false, 0, [] and objects. */
function unprintable(value: Json): boolean {
  return value === false || value === 0 || value === null || typeof value === "object";
}

export function compareFacts(
  endpoint: string,
  form: string,
  limits: UpstreamLimits,
  upstream: FactsByField,
  ours: FactsByField,
): { differences: Difference[]; compared: number } {
  const differences: Difference[] = [];
  const add = (field: string, fact: FactName, u: string, o: string) => differences.push({ endpoint, form, field, fact, upstream: u, ours: o });
  // A field missing on one side is one difference; its sub-fields are not listed again.
  const reported = (field: string, side: FactsByField) => {
    const parent = parentField(field);
    return parent !== null && !(parent in side);
  };
  for (const field of Object.keys(upstream).sort()) {
    if (!(field in ours) && !reported(field, ours)) add(field, "presence", "present", ABSENT);
  }
  for (const field of Object.keys(ours).sort()) {
    if (!(field in upstream) && !reported(field, upstream)) add(field, "presence", ABSENT, "present");
  }
  let compared = 0;
  for (const field of Object.keys(upstream).sort()) {
    const u = upstream[field]!;
    const o = ours[field];
    if (o === undefined) continue;
    compared++;
    // Array items are always "required"; only named fields have a say.
    if (!field.endsWith("[]") && u.required !== o.required) add(field, "required", String(u.required), String(o.required));
    const ut = typesFor(u, limits);
    const ot = typesFor(o, limits);
    if (ut !== undefined && !deepEqual(ut, ot)) add(field, "type", ut.join(" | "), ot?.join(" | ") ?? "any");
    if ((u.enum !== undefined || o.enum !== undefined) && !deepEqual(u.enum, o.enum)) add(field, "enum", show(u.enum), show(o.enum));
    if (u.default !== undefined || o.default !== undefined) {
      const unknown = u.default === undefined && !limits.falsyDefaults && unprintable(o.default!);
      if (!unknown && !deepEqual(u.default, o.default)) add(field, "default", show(u.default), show(o.default));
    }
    if (limits.ranges) {
      for (const key of RANGE_KEYS) if (u[key] !== o[key]) add(field, key, show(u[key]), show(o[key]));
    }
  }
  return { differences, compared };
}

/** Keywords whose edit can change a fact; a deviation covers a fact if it wrote one of them. */
const KEYWORDS: Record<FactName, string[]> = {
  presence: [""],
  required: [],
  type: ["type", "anyOf", "oneOf", "$ref", "enum", "const"],
  enum: ["enum", "const", "anyOf", "oneOf", "$ref"],
  default: ["default"],
  minimum: ["minimum"],
  exclusiveMinimum: ["exclusiveMinimum"],
  maximum: ["maximum"],
  exclusiveMaximum: ["exclusiveMaximum"],
};

const related = (pointer: string, target: string) => pointer === target || target.startsWith(`${pointer}/`) || pointer.startsWith(`${target}/`);

/** The pointers in our document where the fact of `difference` lives (or would live, for a missing field). */
function factPointers(difference: Difference, origins: Record<string, FieldOrigin>): string[] {
  const origin = origins[difference.field];
  if (origin === undefined) {
    // Missing in ours: where the field would be, under its parent's schema node.
    const parent = parentField(difference.field);
    const parentNode = parent === null ? `/components/schemas/${difference.field.split(".")[0]}` : origins[parent]?.node;
    if (parentNode === undefined) return [];
    const last = difference.field.endsWith("[]") ? "items" : `properties/${difference.field.slice(difference.field.lastIndexOf(".") + 1)}`;
    return [`${parentNode}/${last}`];
  }
  if (difference.fact === "required") return origin.parent === null ? [] : [`${origin.parent}/required`];
  const bases = [...new Set([origin.site, origin.node])];
  return bases.flatMap((base) => KEYWORDS[difference.fact].map((k) => (k === "" ? base : `${base}/${k}`)));
}

/** Marks each difference a declared deviation covers; returns the declarations that covered none. */
export function applyDeviations(
  differences: Difference[],
  deviations: readonly DeclaredDeviation[],
  origins: Record<string, FieldOrigin>,
): DeclaredDeviation[] {
  const used = new Set<DeclaredDeviation>();
  for (const difference of differences) {
    const targets = factPointers(difference, origins);
    const deviation = deviations.find((d) => d.pointers.some((p) => targets.some((t) => related(p, t))));
    if (deviation) {
      difference.deviation = deviation;
      used.add(deviation);
    }
  }
  return deviations.filter((d) => !used.has(d));
}

/** A plain-text table (GitHub-flavoured markdown), one row per difference. */
export function formatTable(differences: readonly Difference[]): string[] {
  const rows = differences.map((d) => [
    d.endpoint,
    d.field,
    d.fact,
    d.upstream,
    d.ours,
    d.deviation ? `deviation (${d.deviation.file} actions[${d.deviation.action}]): ${d.deviation.reason}` : "UNDECLARED",
  ]);
  const head = ["endpoint", "field", "fact", "upstream", "ours", "status"];
  const cell = (text: string) => text.replaceAll("|", "\\|").replace(/\s+/g, " ");
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)];
}
