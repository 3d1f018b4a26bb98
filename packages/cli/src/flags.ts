/**
 * Command-line flags generated from an endpoint's Input schema: one flag per field, named in
 * kebab-case, typed, with enum values, range and default in --help. Parsing coerces each value
 * to the field's type and reports every bad flag at once; the endpoint validator then checks
 * the assembled input before anything is sent.
 */
import { parseArgs } from "node:util";

export interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  $ref?: string;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description?: string;
  $defs?: Record<string, SchemaNode>;
}

export type FlagKind = "string" | "integer" | "number" | "boolean" | "json";

export interface FlagSpec {
  field: string;
  flag: string;
  kind: FlagKind;
  required: boolean;
  enumValues?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  description: string;
  /** The field also accepts a preset string (e.g. image_size: a preset or {width, height}). */
  presets?: string[];
  /** The field's object form is a {width, height} size, so `WxH` is accepted too. */
  size?: boolean;
}

export class FlagError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "FlagError";
  }
}

const kebab = (field: string) => field.replaceAll("_", "-");

function deref(root: SchemaNode, node: SchemaNode | undefined): SchemaNode {
  if (node?.$ref) return deref(root, root.$defs?.[node.$ref.split("/").pop()!]);
  return node ?? {};
}

function kindOf(root: SchemaNode, node: SchemaNode): { kind: FlagKind; enumValues?: string[]; presets?: string[]; size?: boolean } {
  const union = node.anyOf ?? node.oneOf;
  if (union) {
    const branches = union.map((b) => deref(root, b));
    const presets = branches.flatMap((b) => (Array.isArray(b.enum) ? b.enum.map(String) : []));
    const size = branches.some((b) => b.properties?.width !== undefined && b.properties?.height !== undefined);
    return { kind: "json", presets: presets.length > 0 ? presets : undefined, ...(size ? { size } : {}) };
  }
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== "null") : node.type;
  if (Array.isArray(node.enum)) return { kind: "string", enumValues: node.enum.map(String) };
  if (type === "integer" || type === "number" || type === "boolean" || type === "string") return { kind: type };
  return { kind: "json" };
}

export function flagsFromSchema(input: SchemaNode): FlagSpec[] {
  const required = new Set(input.required ?? []);
  return Object.entries(input.properties ?? {}).map(([field, raw]) => {
    const node = deref(input, raw);
    const { kind, enumValues, presets, size } = kindOf(input, node);
    return {
      field,
      flag: kebab(field),
      kind,
      required: required.has(field),
      enumValues,
      presets,
      ...(size ? { size } : {}),
      minimum: node.minimum,
      maximum: node.maximum,
      default: node.default,
      description: (node.description ?? "").replace(/\s+/g, " ").trim(),
    };
  });
}

export function helpText(flags: FlagSpec[]): string {
  return flags
    .map((f) => {
      const value = f.kind === "boolean" ? "" : ` <${f.enumValues?.join("|") ?? (f.presets ? `${f.presets.join("|")}|${f.size ? "WxH|" : ""}json` : f.kind)}>`;
      const facts = [
        f.required ? "required" : "",
        f.minimum !== undefined || f.maximum !== undefined ? `range ${f.minimum ?? ""}..${f.maximum ?? ""}` : "",
        f.default !== undefined ? `default ${JSON.stringify(f.default)}` : "",
      ].filter(Boolean);
      return `  --${f.flag}${value}\n      ${[f.description, facts.length ? `(${facts.join(", ")})` : ""].filter(Boolean).join(" ")}`;
    })
    .join("\n");
}

function coerce(flag: FlagSpec, raw: string | boolean, problems: string[]): unknown {
  const bad = (what: string) => {
    problems.push(`--${flag.flag}: ${what} (got ${JSON.stringify(raw)})`);
    return undefined;
  };
  if (flag.kind === "boolean") return raw === true || raw === "true" ? true : raw === "false" ? false : bad("expected true or false");
  const text = String(raw);
  switch (flag.kind) {
    case "integer":
    case "number": {
      const n = Number(text);
      if (text.trim() === "" || !Number.isFinite(n)) return bad(flag.kind === "integer" ? "expected an integer" : "expected a number");
      if (flag.kind === "integer" && !Number.isInteger(n)) return bad("expected a whole number");
      return n;
    }
    case "json": {
      if (flag.presets?.includes(text)) return text;
      const wxh = flag.size ? /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/i.exec(text) : null;
      if (wxh) return { width: Number(wxh[1]), height: Number(wxh[2]) };
      try {
        return JSON.parse(text);
      } catch {
        const forms = [...(flag.presets ? [`one of ${flag.presets.join(", ")}`] : []), ...(flag.size ? ["WxH (e.g. 800x600)"] : []), "JSON"];
        return bad(`expected ${forms.length > 1 ? `${forms.slice(0, -1).join(", ")} or ${forms.at(-1)}` : forms[0]}`);
      }
    }
    default:
      if (flag.enumValues && !flag.enumValues.includes(text)) return bad(`expected one of ${flag.enumValues.join(", ")}`);
      return text;
  }
}

/**
 * Parse `argv` against the endpoint's flags plus `extra` command options. Unknown flags and
 * bad values are collected and thrown together as one FlagError.
 */
export function parseFlags<Extra extends Record<string, { type: "string" | "boolean"; short?: string }>>(
  flags: FlagSpec[],
  argv: string[],
  extra: Extra,
): { input: Record<string, unknown>; options: { [K in keyof Extra]?: Extra[K]["type"] extends "boolean" ? boolean : string }; positionals: string[] } {
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = { ...extra };
  for (const f of flags) {
    config[f.flag] = { type: f.kind === "boolean" ? "boolean" : "string" };
    if (f.kind === "boolean") config[`no-${f.flag}`] = { type: "boolean" };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (error) {
    throw new FlagError([(error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, "")]);
  }
  const problems: string[] = [];
  const input: Record<string, unknown> = {};
  for (const f of flags) {
    const value = parsed.values[f.flag];
    if (parsed.values[`no-${f.flag}`] === true) input[f.field] = false;
    else if (value !== undefined) {
      const coerced = coerce(f, value as string | boolean, problems);
      if (coerced !== undefined) input[f.field] = coerced;
    }
  }
  if (problems.length > 0) throw new FlagError(problems);
  const options = Object.fromEntries(
    Object.keys(extra)
      .filter((k) => parsed.values[k] !== undefined)
      .map((k) => [k, parsed.values[k]]),
  );
  return { input, options: options as never, positionals: parsed.positionals };
}
