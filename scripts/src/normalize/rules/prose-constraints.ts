/**
 * Prose → schema: vendors write constraints in descriptions ("Range value: 1-50",
 * "Default value: true", "Supported formats: a, b"). Turn them into minimum/maximum/default/
 * enum so validators and types can use them, and take the phrase out of the description: the
 * keyword now says it, and help text, READMEs and JSDoc print the keyword (saying it twice
 * reads "Range value: 1-50 (range 1..50)"). What else the description says stays as written.
 *
 * A value that does not fit the schema's type is not guessed at: it is reported and skipped,
 * and its phrase stays. A constraint the schema already states is kept; a disagreement is
 * reported and the phrase stays, so the reader still sees what the vendor claimed.
 */
import { walkSchemas, type Json, type JsonObject } from "../../json.js";
import type { Rule, RuleContext } from "./types.js";

const NUMBER = String.raw`-?\d+(?:\.\d+)?`;
const RANGE = new RegExp(String.raw`\brange(?:\s+value)?\s*:\s*(${NUMBER})\s*(?:-|–|~|to)\s*(${NUMBER})`, "i");
const DEFAULT = new RegExp(String.raw`\bdefault(?:\s+value)?\s*:\s*(?:"([^"]*)"|'([^']*)'|(${NUMBER})(?![\w-])|([A-Za-z_][\w-]*))`, "i");
const ENUM = /\b(?:supported(?:\s+[a-z]+){0,3}|enumerated values|allowed values|possible values|options)\s*:\s*([^.;\n]+)/i;

export interface ProseConstraints {
  minimum?: number;
  maximum?: number;
  default?: string | number | boolean;
  enum?: string[];
}

function coerce(raw: { quoted?: string; number?: string; word?: string }, type: Json | undefined): string | number | boolean | undefined {
  if (raw.quoted !== undefined) return type === "string" ? raw.quoted : undefined;
  if (raw.number !== undefined) {
    const n = Number(raw.number);
    if (type === "integer") return Number.isInteger(n) ? n : undefined;
    if (type === "number") return n;
    return type === "string" ? raw.number : undefined;
  }
  if (raw.word !== undefined) {
    if (type === "boolean") return raw.word === "true" ? true : raw.word === "false" ? false : undefined;
    return type === "string" ? raw.word : undefined;
  }
  return undefined;
}

/** Read constraints from one description, typed for a schema of `type`. */
export function parseProse(description: string, type: Json | undefined): { found: ProseConstraints; skipped: string[]; phrases: ProsePhrases } {
  const found: ProseConstraints = {};
  const skipped: string[] = [];
  const phrases: ProsePhrases = {};
  const range = RANGE.exec(description);
  if (range) {
    const [min, max] = [Number(range[1]), Number(range[2])];
    if ((type === "integer" && !(Number.isInteger(min) && Number.isInteger(max))) || (type !== "integer" && type !== "number")) {
      skipped.push(`range "${range[0]}" does not fit type ${String(type)}`);
    } else if (min > max) skipped.push(`range "${range[0]}" has minimum above maximum`);
    else {
      Object.assign(found, { minimum: min, maximum: max });
      phrases.range = range[0];
    }
  }
  const def = DEFAULT.exec(description);
  if (def) {
    const value = coerce({ quoted: def[1] ?? def[2], number: def[3], word: def[4] }, type);
    if (value === undefined) skipped.push(`default "${def[0]}" does not fit type ${String(type)}`);
    else {
      found.default = value;
      phrases.default = def[0];
    }
  }
  const list = ENUM.exec(description);
  if (list) {
    const values = list[1]!
      .split(",")
      .map((v) => v.trim().replace(/^["']|["']$/g, ""))
      .filter(Boolean);
    if (type !== "string") skipped.push(`enum "${list[0]}" on a non-string schema`);
    else if (values.length > 0) {
      found.enum = [...new Set(values)];
      phrases.enum = list[0].trimEnd();
    }
  }
  return { found, skipped, phrases };
}

/** The text each lifted constraint came from, so it can be taken out of the description. */
export interface ProsePhrases {
  range?: string;
  default?: string;
  enum?: string;
}

/**
 * The description without the given phrases, tidied: the punctuation and joining words
 * left around a phrase go with it ("Number of images, range: 1-4" → "Number of images").
 */
export function withoutPhrases(description: string, phrases: readonly string[]): string {
  let text = description;
  for (const phrase of phrases) text = text.replace(phrase, "\u0000");
  return text
    .split("\u0000")
    .map((part) =>
      part
        .trim()
        .replace(/^[.,;:]+\s*/, "")
        .replace(/\s*[,;:]+$/, ""),
    )
    .filter(Boolean)
    .join(" ");
}

function applyTo(schema: JsonObject, path: string, ctx: RuleContext): void {
  if (typeof schema.description !== "string") return;
  const { found, skipped, phrases } = parseProse(schema.description, schema.type);
  for (const reason of skipped) ctx.report(`${path}: skipped prose constraint: ${reason}`);
  const lifted = new Set<keyof ProsePhrases>();
  for (const [key, value] of Object.entries(found) as [keyof ProseConstraints, Json][]) {
    const phrase: keyof ProsePhrases = key === "minimum" || key === "maximum" ? "range" : key;
    if (schema[key] === undefined) {
      schema[key] = value;
      lifted.add(phrase);
      ctx.report(`${path}: ${key} = ${JSON.stringify(value)} (from description)`);
    } else if (JSON.stringify(schema[key]) !== JSON.stringify(value)) {
      ctx.report(`${path}: description says ${key} ${JSON.stringify(value)}, schema says ${JSON.stringify(schema[key])}; kept the schema`);
      lifted.delete(phrase);
      phrases[phrase] = undefined;
    } else lifted.add(phrase);
  }
  const gone = [...lifted].flatMap((p) => (phrases[p] === undefined ? [] : [phrases[p]]));
  if (gone.length > 0) {
    const rest = withoutPhrases(schema.description, gone);
    if (rest === "") delete schema.description;
    else schema.description = rest;
    const lifted = gone.map((g) => JSON.stringify(g)).join(", ");
    ctx.report(
      rest === "" ? `${path}: description removed (it only said ${lifted})` : `${path}: description ${JSON.stringify(rest)} (the lifted ${lifted} removed)`,
    );
  }
  if (Array.isArray(schema.enum) && schema.default !== undefined && !schema.enum.includes(schema.default)) {
    ctx.report(`${path}: default ${JSON.stringify(schema.default)} is not among enum values; dropped the default`);
    delete schema.default;
  }
}

export const proseConstraints: Rule = {
  name: "prose-constraints",
  apply(doc, ctx) {
    for (const { schema, path } of walkSchemas(doc)) applyTo(schema, path, ctx);
  },
};
