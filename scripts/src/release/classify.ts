/**
 * Classify: what a change between two normalized specs of one endpoint means for the people
 * who use its package, as a semver bump.
 *
 * The Input schema is what users send, so narrowing it breaks them (major) and widening it
 * does not (minor). The Output schema is what users read, so any change to the type of a
 * field they read is major; a new field is minor. Descriptions, examples, documented defaults
 * and servers are patch. What changes neither the generated types nor the validator (the
 * recorded source hashes, `x-` annotations) is "none": reported, but no version bump.
 * The rules are listed in the README ("Regeneration and versioning").
 */
import { deepEqual, isObject, type Json, type JsonObject } from "../json.js";

export type Bump = "major" | "minor" | "patch" | "none";

export type ChangeKind =
  | "endpoint-added"
  | "endpoint-removed"
  | "field-added"
  | "field-removed"
  | "field-now-required"
  | "field-now-optional"
  | "enum-value-added"
  | "enum-value-removed"
  | "range-narrowed"
  | "range-widened"
  | "type-narrowed"
  | "type-widened"
  | "type-changed"
  | "constraint-added"
  | "constraint-removed"
  | "constraint-changed"
  | "default-changed"
  | "description-changed"
  | "example-changed"
  | "servers-changed"
  | "spec-changed"
  | "provenance-changed";

export interface SpecChange {
  /** Endpoint id, e.g. fal-ai/flux-lora. */
  endpoint: string;
  /** Where, from the user's side: `Input.image_size`, `Output.images[].url`, `servers`. */
  path: string;
  kind: ChangeKind;
  bump: Bump;
  message: string;
}

const BUMP_ORDER: Bump[] = ["none", "patch", "minor", "major"];

export function highestBump(changes: readonly SpecChange[]): Bump {
  return changes.reduce<Bump>((top, c) => (BUMP_ORDER.indexOf(c.bump) > BUMP_ORDER.indexOf(top) ? c.bump : top), "none");
}

/** Most severe first, then by path: the order reports and changesets print in. */
export function sortChanges(changes: readonly SpecChange[]): SpecChange[] {
  return [...changes].sort(
    (a, b) => BUMP_ORDER.indexOf(b.bump) - BUMP_ORDER.indexOf(a.bump) || a.path.localeCompare(b.path) || a.message.localeCompare(b.message),
  );
}

/** The endpoint id a normalized spec describes (info.x-fluxkit-endpoint.id, else its title). */
export function endpointIdOf(doc: JsonObject): string | null {
  const info = isObject(doc.info) ? doc.info : {};
  const described = isObject(info["x-fluxkit-endpoint"]) ? info["x-fluxkit-endpoint"].id : undefined;
  if (typeof described === "string") return described;
  return typeof info.title === "string" && info.title ? info.title : null;
}

type Side = "Input" | "Output";

const DOC_KEYS = new Set(["description", "title", "summary", "example", "examples", "deprecated", "externalDocs"]);
const LOWER_BOUNDS = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
const UPPER_BOUNDS = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];
/** Keywords compared by dedicated rules below; anything else falls through to a generic rule. */
const HANDLED = new Set([
  ...DOC_KEYS,
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
  "$ref",
  "type",
  "enum",
  "const",
  "default",
  "properties",
  "required",
  "items",
  "additionalProperties",
  "anyOf",
  "oneOf",
]);
const REF_PREFIX = "#/components/schemas/";

class SchemaComparer {
  readonly changes: SpecChange[] = [];
  private readonly visiting = new Set<string>();

  constructor(
    private readonly endpoint: string,
    private readonly before: JsonObject,
    private readonly after: JsonObject,
  ) {}

  private add(path: string, kind: ChangeKind, bump: Bump, message: string): void {
    this.changes.push({ endpoint: this.endpoint, path, kind, bump, message });
  }

  /** Follow `$ref`s into components.schemas; returns the schema and the name it came from. */
  private resolve(doc: JsonObject, schema: Json | undefined): { schema: JsonObject; ref: string | null } {
    let current: Json | undefined = schema;
    let ref: string | null = null;
    for (let hops = 0; hops < 20 && isObject(current) && typeof current.$ref === "string"; hops++) {
      const target = current.$ref as string;
      if (!target.startsWith(REF_PREFIX)) break;
      ref = target.slice(REF_PREFIX.length);
      const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
      const { $ref: _ignored, ...siblings } = current;
      const resolved = schemas[ref];
      current = isObject(resolved) ? { ...resolved, ...siblings } : {};
    }
    return { schema: isObject(current) ? current : {}, ref };
  }

  compare(side: Side, path: string, beforeRaw: Json | undefined, afterRaw: Json | undefined): void {
    const b = this.resolve(this.before, beforeRaw);
    const a = this.resolve(this.after, afterRaw);
    // A recursive schema (a tree of refs) is compared once per pair of names.
    const key = b.ref !== null && a.ref !== null ? `${b.ref}|${a.ref}` : null;
    if (key !== null) {
      if (this.visiting.has(key)) return;
      this.visiting.add(key);
    }
    try {
      this.compareDocs(path, b.schema, a.schema);
      const vb = variantsOf(b.schema);
      const va = variantsOf(a.schema);
      if (vb === null && va === null) this.compareShape(side, path, b.schema, a.schema);
      // A plain schema facing a union is one variant of it; its docs were compared above.
      else this.compareVariants(side, path, vb ?? [withoutDocs(b.schema)], va ?? [withoutDocs(a.schema)]);
    } finally {
      if (key !== null) this.visiting.delete(key);
    }
  }

  private compareDocs(path: string, b: JsonObject, a: JsonObject): void {
    for (const key of ["description", "title", "summary", "deprecated"]) {
      if (!deepEqual(b[key], a[key])) this.add(path, "description-changed", "patch", `${key} ${describeEdit(b[key], a[key])}`);
    }
    for (const key of ["example", "examples"]) {
      if (!deepEqual(b[key], a[key])) this.add(path, "example-changed", "patch", `${key} changed`);
    }
    if (!deepEqual(b.default, a.default)) {
      this.add(path, "default-changed", "patch", `documented default ${describeEdit(b.default, a.default)}`);
    }
  }

  private compareVariants(side: Side, path: string, before: Json[], after: Json[]): void {
    const label = (doc: JsonObject, v: Json, i: number) => this.resolve(doc, v).ref ?? `variant ${i + 1}`;
    const sig = (doc: JsonObject, v: Json) => JSON.stringify(this.signature(doc, v, new Set()));
    const bSigs = before.map((v) => sig(this.before, v));
    const aSigs = after.map((v) => sig(this.after, v));
    const unmatchedB = before.map((_, i) => i).filter((i) => !aSigs.includes(bSigs[i]!));
    const unmatchedA = after.map((_, i) => i).filter((i) => !bSigs.includes(aSigs[i]!));
    // Pair what changed inside a variant by its name (a $ref) or by its JSON type, so a field
    // added to ImageSize reads as that and not as "a variant replaced by another".
    const pairs: [number, number][] = [];
    for (const i of [...unmatchedB]) {
      const bv = this.resolve(this.before, before[i]);
      const j = unmatchedA.find((k) => {
        const av = this.resolve(this.after, after[k]);
        return (bv.ref !== null && bv.ref === av.ref) || deepEqual(typeKey(bv.schema), typeKey(av.schema));
      });
      if (j === undefined) continue;
      pairs.push([i, j]);
      unmatchedB.splice(unmatchedB.indexOf(i), 1);
      unmatchedA.splice(unmatchedA.indexOf(j), 1);
    }
    const single = before.length === 1 && after.length === 1;
    for (const [i, j] of pairs) {
      const sub = single ? path : `${path}<${label(this.after, after[j]!, j)}>`;
      const b = this.resolve(this.before, before[i]).schema;
      const a = this.resolve(this.after, after[j]).schema;
      this.compareDocs(sub, b, a);
      this.compareShape(side, sub, b, a);
    }
    for (const i of unmatchedB) {
      const name = label(this.before, before[i]!, i);
      if (side === "Input")
        this.add(path, "type-narrowed", "major", `no longer accepts ${name} (${describeType(this.resolve(this.before, before[i]).schema)})`);
      else this.add(path, "type-changed", "major", `may no longer be ${name} (${describeType(this.resolve(this.before, before[i]).schema)})`);
    }
    for (const j of unmatchedA) {
      const name = label(this.after, after[j]!, j);
      if (side === "Input") this.add(path, "type-widened", "minor", `now also accepts ${name} (${describeType(this.resolve(this.after, after[j]).schema)})`);
      else
        this.add(
          path,
          "type-changed",
          "major",
          `may now also be ${name} (${describeType(this.resolve(this.after, after[j]).schema)}); code reading it must handle that`,
        );
    }
  }

  /** The schema with refs inlined and documentation dropped: equal signatures, equal types and validation. */
  private signature(doc: JsonObject, node: Json | undefined, seen: Set<string>): Json {
    if (Array.isArray(node)) return node.map((n) => this.signature(doc, n, seen));
    if (!isObject(node)) return node ?? null;
    if (typeof node.$ref === "string" && node.$ref.startsWith(REF_PREFIX)) {
      if (seen.has(node.$ref)) return { $ref: node.$ref };
      const next = new Set(seen).add(node.$ref);
      return this.signature(doc, this.resolve(doc, node).schema, next);
    }
    const out: JsonObject = {};
    for (const key of Object.keys(node).sort()) {
      if (DOC_KEYS.has(key) || key === "default" || key.startsWith("x-")) continue;
      out[key] =
        key === "properties" && isObject(node[key])
          ? Object.fromEntries(
              Object.entries(node[key])
                .map(([k, v]) => [k, this.signature(doc, v, seen)])
                .sort(([x], [y]) => String(x).localeCompare(String(y))),
            )
          : this.signature(doc, node[key], seen);
    }
    return out;
  }

  private compareShape(side: Side, path: string, b: JsonObject, a: JsonObject): void {
    this.compareTypes(side, path, b, a);
    this.compareEnums(side, path, b, a);
    this.compareRanges(side, path, b, a);
    this.compareProperties(side, path, b, a);
    if (isObject(b.items) || isObject(a.items)) this.compare(side, `${path}[]`, b.items ?? {}, a.items ?? {});
    this.compareAdditional(side, path, b, a);
    this.compareOtherKeywords(side, path, b, a);
  }

  private compareTypes(side: Side, path: string, b: JsonObject, a: JsonObject): void {
    const tb = typeSet(b);
    const ta = typeSet(a);
    if (sameSet(tb, ta)) return;
    const text = `type ${formatTypes(tb)} → ${formatTypes(ta)}`;
    if (side === "Output") {
      // integer and number are both `number` in TypeScript, and outputs are not validated.
      if (sameSet(tsTypes(tb), tsTypes(ta))) this.add(path, "type-changed", "none", `${text} (same TypeScript type)`);
      else this.add(path, "type-changed", "major", `${text}; code reading it must handle that`);
      return;
    }
    if (typesWithin(tb, ta)) this.add(path, "type-widened", "minor", `${text}: accepts more than before`);
    else if (typesWithin(ta, tb)) this.add(path, "type-narrowed", "major", `${text}: inputs of type ${formatTypes(difference(tb, ta))} are now rejected`);
    else this.add(path, "type-changed", "major", `${text}: inputs that were valid are now rejected`);
  }

  private compareEnums(side: Side, path: string, b: JsonObject, a: JsonObject): void {
    const eb = enumValues(b);
    const ea = enumValues(a);
    if (eb === null && ea === null) return;
    if (eb === null || ea === null) {
      const list = formatValues((ea ?? eb)!);
      if (side === "Output") this.add(path, "type-changed", "major", ea ? `now limited to ${list}` : `no longer limited to ${list}`);
      else if (ea) this.add(path, "type-narrowed", "major", `now limited to ${list}; other values are rejected`);
      else this.add(path, "type-widened", "minor", `no longer limited to ${list}`);
      return;
    }
    const added = ea.filter((v) => !eb.some((w) => deepEqual(v, w)));
    const removed = eb.filter((v) => !ea.some((w) => deepEqual(v, w)));
    for (const value of removed) {
      this.add(
        path,
        "enum-value-removed",
        "major",
        side === "Input"
          ? `value ${JSON.stringify(value)} removed; inputs using it are rejected`
          : `value ${JSON.stringify(value)} no longer returned; the output type changed`,
      );
    }
    for (const value of added) {
      this.add(
        path,
        "enum-value-added",
        side === "Input" ? "minor" : "major",
        side === "Input" ? `value ${JSON.stringify(value)} added` : `value ${JSON.stringify(value)} may now be returned; code reading it must handle that`,
      );
    }
  }

  private compareRanges(side: Side, path: string, b: JsonObject, a: JsonObject): void {
    const report = (narrowed: boolean, text: string) => {
      if (side === "Output") this.add(path, narrowed ? "range-narrowed" : "range-widened", "patch", `${text} (documented; outputs are not validated)`);
      else if (narrowed) this.add(path, "range-narrowed", "major", `${text}: inputs that were valid are now rejected`);
      else this.add(path, "range-widened", "minor", `${text}: accepts more than before`);
    };
    // Numbers: a bound is judged by the values it accepts, whichever keyword states it
    // (for integers, exclusiveMinimum 0 and minimum 1 accept the same).
    for (const lower of [true, false]) {
      const keys = lower ? (["minimum", "exclusiveMinimum"] as const) : (["maximum", "exclusiveMaximum"] as const);
      if (keys.every((k) => b[k] === a[k])) continue;
      const vb = numericBound(b, lower);
      const va = numericBound(a, lower);
      const text = keys
        .filter((k) => b[k] !== a[k])
        .map((k) => `${k} ${typeof b[k] === "number" ? b[k] : "none"} → ${typeof a[k] === "number" ? a[k] : "none"}`)
        .join(", ");
      if (vb !== undefined && va !== undefined && vb.value === va.value && vb.exclusive === va.exclusive) {
        this.add(path, "constraint-changed", "patch", `${text} (the same values are accepted)`);
        continue;
      }
      // A new bound, or a lower bound going up / an upper bound going down, rejects inputs.
      const tighter = va !== undefined && (vb === undefined || (lower ? va.value > vb.value : va.value < vb.value) || (va.value === vb.value && va.exclusive));
      report(tighter, text);
    }
    for (const [keys, lower] of [
      [LOWER_BOUNDS.filter((k) => !k.endsWith("imum")), true],
      [UPPER_BOUNDS.filter((k) => !k.endsWith("imum")), false],
    ] as const) {
      for (const key of keys) {
        const vb = typeof b[key] === "number" ? (b[key] as number) : undefined;
        const va = typeof a[key] === "number" ? (a[key] as number) : undefined;
        if (vb === va) continue;
        const narrowed = vb === undefined || (va !== undefined && (lower ? va > vb : va < vb));
        report(narrowed, `${key} ${vb ?? "none"} → ${va ?? "none"}`);
      }
    }
  }

  private compareProperties(side: Side, path: string, b: JsonObject, a: JsonObject): void {
    const pb = isObject(b.properties) ? b.properties : {};
    const pa = isObject(a.properties) ? a.properties : {};
    const rb = requiredOf(b);
    const ra = requiredOf(a);
    const at = (name: string) => `${path}.${name}`;
    for (const name of Object.keys(pb)) {
      if (name in pa) continue;
      this.add(
        at(name),
        "field-removed",
        "major",
        side === "Input" ? "input field removed; code that sets it no longer compiles" : "output field removed; code reading it no longer compiles",
      );
    }
    for (const name of Object.keys(pa)) {
      if (name in pb) continue;
      const type = describeType(this.resolve(this.after, pa[name]).schema);
      if (side === "Output") this.add(at(name), "field-added", "minor", `new output field (${type})`);
      else if (ra.has(name)) this.add(at(name), "field-added", "major", `new required input field (${type}); every call must now set it`);
      else this.add(at(name), "field-added", "minor", `new optional input field (${type})`);
    }
    for (const name of Object.keys(pb)) {
      if (!(name in pa)) continue;
      const was = rb.has(name);
      const is = ra.has(name);
      if (!was && is) {
        if (side === "Input") this.add(at(name), "field-now-required", "major", "input field is now required; calls without it are rejected");
        else this.add(at(name), "field-now-required", "minor", "output field is now always present");
      } else if (was && !is) {
        if (side === "Input") this.add(at(name), "field-now-optional", "minor", "input field is now optional");
        else this.add(at(name), "field-now-optional", "major", "output field may now be absent; code reading it must handle that");
      }
      this.compare(side, at(name), pb[name], pa[name]);
    }
  }

  private compareAdditional(side: Side, path: string, b: JsonObject, a: JsonObject): void {
    const xb = b.additionalProperties;
    const xa = a.additionalProperties;
    if (deepEqual(xb, xa)) return;
    if (isObject(xb) && isObject(xa)) {
      this.compare(side, `${path}.*`, xb, xa);
      return;
    }
    // Absent or true: any extra key is allowed. false: none is. A schema: extra keys of that shape.
    const open = (v: Json | undefined) => v === undefined || v === true;
    const widened = open(xa) && !open(xb);
    const text = `additionalProperties ${describeEdit(xb, xa)}`;
    if (side === "Output") this.add(path, "type-changed", "major", `${text}; the output type changed`);
    else if (widened) this.add(path, "type-widened", "minor", `${text}: accepts more than before`);
    else this.add(path, "type-narrowed", "major", `${text}: inputs that were valid may be rejected`);
  }

  /** format, pattern, multipleOf, allOf, ...: a new or changed constraint narrows an input. */
  private compareOtherKeywords(side: Side, path: string, b: JsonObject, a: JsonObject): void {
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !HANDLED.has(k) && !k.startsWith("x-")).sort();
    for (const key of keys) {
      const sb = this.signature(this.before, b[key], new Set());
      const sa = this.signature(this.after, a[key], new Set());
      if (deepEqual(sb, sa)) continue;
      const text = `${key} ${describeEdit(b[key], a[key])}`;
      if (side === "Output") {
        this.add(
          path,
          "constraint-changed",
          key === "format" ? "patch" : "major",
          key === "format" ? `${text} (documented)` : `${text}; the output type may have changed`,
        );
      } else if (a[key] === undefined) this.add(path, "constraint-removed", "minor", `${text}: accepts more than before`);
      else if (b[key] === undefined) this.add(path, "constraint-added", "major", `${text}: inputs that were valid may be rejected`);
      else this.add(path, "constraint-changed", "major", `${text}: inputs that were valid may be rejected`);
    }
  }
}

/**
 * The tightest lower (or upper) bound a schema puts on numbers, as a value and whether it is
 * exclusive; for an integer-only schema, as the inclusive integer bound it amounts to.
 */
function numericBound(schema: JsonObject, lower: boolean): { value: number; exclusive: boolean } | undefined {
  const inclusive = schema[lower ? "minimum" : "maximum"];
  const exclusive = schema[lower ? "exclusiveMinimum" : "exclusiveMaximum"];
  const candidates: { value: number; exclusive: boolean }[] = [];
  if (typeof inclusive === "number") candidates.push({ value: inclusive, exclusive: false });
  if (typeof exclusive === "number") candidates.push({ value: exclusive, exclusive: true });
  if (candidates.length === 0) return undefined;
  const integer = deepEqual(typeSet(schema) === null ? null : [...typeSet(schema)!].filter((t) => t !== "null"), ["integer"]);
  const normalized = candidates.map((c) => {
    if (!integer) return c;
    const value = lower ? (c.exclusive ? Math.floor(c.value) + 1 : Math.ceil(c.value)) : c.exclusive ? Math.ceil(c.value) - 1 : Math.floor(c.value);
    return { value, exclusive: false };
  });
  return normalized.reduce((tightest, c) =>
    (lower ? c.value > tightest.value : c.value < tightest.value) || (c.value === tightest.value && c.exclusive) ? c : tightest,
  );
}

function withoutDocs(schema: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(schema).filter(([key]) => !DOC_KEYS.has(key) && key !== "default"));
}

function variantsOf(schema: JsonObject): Json[] | null {
  const list = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  return list && list.length > 0 ? list : null;
}

/** JSON types a schema allows; null when it does not say (anything goes). */
function typeSet(schema: JsonObject): Set<string> | null {
  if (typeof schema.type === "string") return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type.filter((t): t is string => typeof t === "string"));
  if (isObject(schema.properties)) return new Set(["object"]);
  if (isObject(schema.items)) return new Set(["array"]);
  return null;
}

function typeKey(schema: JsonObject): string[] | null {
  const types = typeSet(schema);
  return types ? [...types].sort() : null;
}

function tsTypes(types: Set<string> | null): Set<string> | null {
  return types ? new Set([...types].map((t) => (t === "integer" ? "number" : t))) : null;
}

function sameSet(a: Set<string> | null, b: Set<string> | null): boolean {
  if (a === null || b === null) return a === b;
  return a.size === b.size && [...a].every((t) => b.has(t));
}

/** Every type in `inner` is allowed by `outer` (integer is within number; null = anything). */
function typesWithin(inner: Set<string> | null, outer: Set<string> | null): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  return [...inner].every((t) => outer.has(t) || (t === "integer" && outer.has("number")));
}

function difference(a: Set<string> | null, b: Set<string> | null): Set<string> | null {
  if (a === null) return null;
  return new Set([...a].filter((t) => !typesWithin(new Set([t]), b)));
}

function formatTypes(types: Set<string> | null): string {
  return types === null ? "any" : [...types].join(" | ");
}

function enumValues(schema: JsonObject): Json[] | null {
  if (Array.isArray(schema.enum)) return schema.enum;
  if (schema.const !== undefined) return [schema.const];
  return null;
}

function requiredOf(schema: JsonObject): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : []);
}

function formatValues(values: Json[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

function describeType(schema: JsonObject): string {
  const values = enumValues(schema);
  if (values) return formatValues(values);
  const variants = variantsOf(schema);
  if (variants) return `one of ${variants.length} shapes`;
  return formatTypes(typeSet(schema));
}

function describeEdit(before: Json | undefined, after: Json | undefined): string {
  const show = (v: Json | undefined) => {
    const text = JSON.stringify(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  };
  if (before === undefined) return `added: ${show(after)}`;
  if (after === undefined) return `removed (was ${show(before)})`;
  return `${show(before)} → ${show(after)}`;
}

/** Paths under which two JSON values differ; documentation keys and arrays compare as a whole. */
function differingPaths(before: Json | undefined, after: Json | undefined, path: string): string[] {
  if (deepEqual(before, after)) return [];
  if (!isObject(before) || !isObject(after)) return [path];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.flatMap((key) => {
    const child = path ? `${path}.${key}` : key;
    if (DOC_KEYS.has(key) || key.startsWith("x-")) return deepEqual(before[key], after[key]) ? [] : [child];
    return differingPaths(before[key], after[key], child);
  });
}

function schemasOf(doc: JsonObject): JsonObject {
  return isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
}

/** Component schemas reachable from Input and Output: compared through them, not again. */
function reachableSchemas(doc: JsonObject): Set<string> {
  const schemas = schemasOf(doc);
  const seen = new Set<string>(["Input", "Output"]);
  const visit = (node: Json | undefined): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      for (const [key, child] of Object.entries(node)) {
        if (key === "$ref" && typeof child === "string" && child.startsWith(REF_PREFIX)) {
          const name = child.slice(REF_PREFIX.length);
          if (!seen.has(name)) {
            seen.add(name);
            visit(schemas[name]);
          }
        } else visit(child);
      }
    }
  };
  visit(schemas.Input);
  visit(schemas.Output);
  return seen;
}

function serverUrls(doc: JsonObject): Map<string, Json> {
  const servers = Array.isArray(doc.servers) ? doc.servers : [];
  return new Map(servers.filter(isObject).map((s) => [String(s.url), s]));
}

/** Everything but Input/Output (and what they reference), servers and the recorded sources. */
function remainder(doc: JsonObject, skipSchemas: Set<string>): JsonObject {
  const rest = structuredClone(doc);
  delete rest.servers;
  if (isObject(rest.info)) delete rest.info["x-fluxkit-sources"];
  const schemas = schemasOf(rest);
  for (const name of skipSchemas) delete schemas[name];
  return rest;
}

/**
 * Every change between two normalized specs of one endpoint; `before` or `after` is null when
 * the endpoint is new or gone.
 */
export function classifyEndpoint(endpoint: string, before: JsonObject | null, after: JsonObject | null): SpecChange[] {
  if (before === null && after === null) return [];
  if (before === null) return [{ endpoint, path: endpoint, kind: "endpoint-added", bump: "minor", message: "new endpoint" }];
  if (after === null) {
    return [{ endpoint, path: endpoint, kind: "endpoint-removed", bump: "major", message: "endpoint removed: no vendor source describes it any more" }];
  }
  const comparer = new SchemaComparer(endpoint, before, after);
  comparer.compare("Input", "Input", schemasOf(before).Input ?? {}, schemasOf(after).Input ?? {});
  comparer.compare("Output", "Output", schemasOf(before).Output ?? {}, schemasOf(after).Output ?? {});
  const changes = comparer.changes;

  const ub = serverUrls(before);
  const ua = serverUrls(after);
  for (const url of ub.keys())
    if (!ua.has(url)) changes.push({ endpoint, path: "servers", kind: "servers-changed", bump: "patch", message: `server ${url} removed` });
  for (const [url, server] of ua) {
    if (!ub.has(url)) changes.push({ endpoint, path: "servers", kind: "servers-changed", bump: "patch", message: `server ${url} added` });
    else if (!deepEqual(ub.get(url), server))
      changes.push({ endpoint, path: "servers", kind: "servers-changed", bump: "patch", message: `server ${url} changed (provider, auth or description)` });
  }

  const sourcesBefore = isObject(before.info) ? before.info["x-fluxkit-sources"] : undefined;
  const sourcesAfter = isObject(after.info) ? after.info["x-fluxkit-sources"] : undefined;
  if (!deepEqual(sourcesBefore, sourcesAfter)) {
    changes.push({
      endpoint,
      path: "info.x-fluxkit-sources",
      kind: "provenance-changed",
      bump: "none",
      message: "vendor sources recorded differently (new bytes or files); no effect on the package",
    });
  }

  const skip = new Set([...reachableSchemas(before), ...reachableSchemas(after)]);
  for (const path of differingPaths(remainder(before, skip), remainder(after, skip), "")) {
    const leaf = path.split(".").at(-1) ?? path;
    if (leaf.startsWith("x-")) changes.push({ endpoint, path, kind: "spec-changed", bump: "none", message: "annotation changed; no effect on the package" });
    else if (leaf === "example" || leaf === "examples") changes.push({ endpoint, path, kind: "example-changed", bump: "patch", message: "example changed" });
    else if (DOC_KEYS.has(leaf)) changes.push({ endpoint, path, kind: "description-changed", bump: "patch", message: `${leaf} changed` });
    else
      changes.push({
        endpoint,
        path,
        kind: "spec-changed",
        bump: "patch",
        message: "changed outside Input/Output (queue routes, parameters or shared schemas); review it",
      });
  }
  return sortChanges(changes);
}
