/**
 * Command-line flags generated from an endpoint's Input schema: one flag per field, named in
 * kebab-case, typed, with enum values, range and default in --help. Parsing coerces each value
 * to the field's type and collects every problem (unknown flags, missing values, bad values)
 * instead of stopping at the first, so `flux run` can report them together with the schema's
 * own violations.
 */
import { nearestName } from "@fluxkit/queue";

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

type OptionConfig = { type: "string" | "boolean"; short?: string };

export interface CollectedFlags<Extra extends Record<string, OptionConfig>> {
  input: Record<string, unknown>;
  options: { [K in keyof Extra]?: Extra[K]["type"] extends "boolean" ? boolean : string };
  positionals: string[];
  /** Every problem: unknown flags and missing values in command-line order, then bad values in schema order. */
  problems: string[];
  /** Input fields whose flag was given but unusable: schema complaints about them would only repeat it. */
  failedFields: Set<string>;
}

/**
 * Parse `argv` against the endpoint's flags plus `extra` command options, collecting every
 * problem: `--name value`, `--name=value`, `-x value`, `--no-<boolean>`, and `--` before
 * arguments that start with a dash. A value that starts with a single dash is taken (negative
 * numbers); one that starts with `--` is taken for the next flag.
 */
export function collectFlags<Extra extends Record<string, OptionConfig>>(
  flags: readonly FlagSpec[],
  argv: readonly string[],
  extra: Extra,
): CollectedFlags<Extra> {
  const config = new Map<string, OptionConfig>(Object.entries(extra));
  for (const f of flags) {
    config.set(f.flag, { type: f.kind === "boolean" ? "boolean" : "string" });
    if (f.kind === "boolean") config.set(`no-${f.flag}`, { type: "boolean" });
  }
  const shorts = new Map([...config].flatMap(([name, c]) => (c.short === undefined ? [] : [[c.short, name] as const])));
  const values = new Map<string, string | boolean>();
  const problems: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      const long = shorts.get(arg.slice(1));
      if (long === undefined) {
        problems.push(`Unknown option '${arg}'.`);
        continue;
      }
      name = long;
    } else {
      positionals.push(arg);
      continue;
    }
    const next = argv[i + 1];
    const option = config.get(name);
    if (option === undefined) {
      const guess = nearestName(name, [...config.keys()]);
      problems.push(`Unknown option '--${name}'.${guess === undefined ? "" : ` Did you mean --${guess}?`}`);
      // Its value, if it has one, is not an argument of the command.
      if (inline === undefined && next !== undefined && !next.startsWith("-")) i++;
      continue;
    }
    if (option.type === "boolean") {
      if (inline !== undefined) problems.push(`--${name} takes no value (got "${inline}").`);
      else values.set(name, true);
      continue;
    }
    if (inline !== undefined) values.set(name, inline);
    else if (next !== undefined && !next.startsWith("--")) {
      values.set(name, next);
      i++;
    } else problems.push(`--${name}: needs a value.`);
  }

  const input: Record<string, unknown> = {};
  const failedFields = new Set<string>();
  for (const f of flags) {
    const value = values.get(f.flag);
    if (values.get(`no-${f.flag}`) === true) input[f.field] = false;
    else if (value !== undefined) {
      const before = problems.length;
      const coerced = coerce(f, value, problems);
      if (coerced !== undefined) input[f.field] = coerced;
      if (problems.length > before) failedFields.add(f.field);
    } else if (problems.some((p) => p.startsWith(`--${f.flag}: needs a value`))) failedFields.add(f.field);
  }
  const options = Object.fromEntries(Object.keys(extra).flatMap((k) => (values.has(k) ? [[k, values.get(k)]] : [])));
  return { input, options: options as CollectedFlags<Extra>["options"], positionals, problems, failedFields };
}

/** `collectFlags`, throwing one FlagError with every problem (commands without schema checks of their own). */
export function parseFlags<Extra extends Record<string, OptionConfig>>(
  flags: readonly FlagSpec[],
  argv: readonly string[],
  extra: Extra,
): { input: Record<string, unknown>; options: CollectedFlags<Extra>["options"]; positionals: string[] } {
  const { input, options, positionals, problems } = collectFlags(flags, argv, extra);
  if (problems.length > 0) throw new FlagError(problems);
  return { input, options, positionals };
}
