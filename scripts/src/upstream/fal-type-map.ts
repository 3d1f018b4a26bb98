/**
 * Upstream form 1: the official client's endpoint type map. `@fal-ai/client` ships
 * `src/types/endpoints.d.ts`: `EndpointTypeMap` maps each endpoint id to `{ input, output }`,
 * type aliases of object literals whose JSDoc ends in "Default value: `…`".
 *
 * The file is read with the TypeScript compiler's parser (syntax only: it is ~2 MB of type
 * aliases, no checker is needed) and each endpoint becomes a small schema document,
 * `{ components: { schemas: { Input, Output, <nested types> } } }`, so the facts of both
 * upstream forms and of our specs are read by one flattener (facts.ts).
 *
 * What the TypeScript form cannot say is recorded in `TYPE_MAP_LIMITS`: `number` covers
 * integers too, no ranges are stated, and its generator never prints a `false`, `0`, `[]` or
 * object default (none occurs in the 1.10.1 file, while fal's OpenAPI states e.g.
 * `sync_mode: default false`), so an unstated default is "unknown", not "none".
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import ts from "typescript";
import type { Json, JsonObject } from "../json.js";
import type { UpstreamDocument, UpstreamLimits } from "./facts.js";

export const TYPE_MAP_PACKAGE = "@fal-ai/client";
export const TYPE_MAP_FILE = "src/types/endpoints.d.ts";

export const TYPE_MAP_LIMITS: UpstreamLimits = { integers: false, ranges: false, falsyDefaults: false };

export class TypeMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TypeMapError";
  }
}

export interface TypeMap {
  /** Where it was read from (for messages) and the package version it belongs to. */
  file: string;
  version: string;
  /** Endpoint id → the alias names of its input and output types. */
  endpoints: Map<string, { input: string; output: string }>;
  /** Every type alias in the file, by name. */
  aliases: Map<string, ts.TypeAliasDeclaration>;
  source: ts.SourceFile;
}

/** The installed `@fal-ai/client`'s type map file and version (resolved from this package). */
export async function installedTypeMap(): Promise<{ file: string; version: string }> {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    // The package exports no ./package.json; its `./endpoints` entry sits in src/types/.
    entry = require.resolve(`${TYPE_MAP_PACKAGE}/endpoints`);
  } catch {
    throw new TypeMapError(`${TYPE_MAP_PACKAGE} is not installed; it is a pinned devDependency of scripts/: run \`pnpm install\``);
  }
  const dir = dirname(dirname(dirname(entry)));
  const { name, version } = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { name: string; version: string };
  if (name !== TYPE_MAP_PACKAGE) throw new TypeMapError(`${join(dir, "package.json")}: expected ${TYPE_MAP_PACKAGE}, found ${name}`);
  return { file: join(dir, TYPE_MAP_FILE), version };
}

export async function readTypeMap(file: string, version: string): Promise<TypeMap> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new TypeMapError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  // Parsing the ~2 MB file is most of a check's time; the same bytes parse the same.
  const key = `${file}\0${version}\0${createHash("sha256").update(text).digest("hex")}`;
  let map = parsed.get(key);
  if (map === undefined) {
    map = parseTypeMap(file, version, text);
    parsed.set(key, map);
  }
  return map;
}

const parsed = new Map<string, TypeMap>();

export function parseTypeMap(file: string, version: string, text: string): TypeMap {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const aliases = new Map<string, ts.TypeAliasDeclaration>();
  for (const statement of source.statements) if (ts.isTypeAliasDeclaration(statement)) aliases.set(statement.name.text, statement);
  const map = aliases.get("EndpointTypeMap");
  if (!map || !ts.isTypeLiteralNode(map.type)) throw new TypeMapError(`${file}: no \`export type EndpointTypeMap = { … }\``);
  const endpoints = new Map<string, { input: string; output: string }>();
  for (const member of map.type.members) {
    if (!ts.isPropertySignature(member) || !member.type || !ts.isTypeLiteralNode(member.type)) continue;
    const id = propertyName(member.name);
    const side = (key: string) => {
      const prop = (member.type as ts.TypeLiteralNode).members.find((m) => ts.isPropertySignature(m) && propertyName(m.name) === key) as
        | ts.PropertySignature
        | undefined;
      return prop?.type && ts.isTypeReferenceNode(prop.type) ? prop.type.typeName.getText(source) : null;
    };
    const input = side("input");
    const output = side("output");
    if (id && input && output) endpoints.set(id, { input, output });
  }
  return { file, version, endpoints, aliases, source };
}

function propertyName(name: ts.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return name.getText();
}

const DEFAULT_VALUE = /\s*Default value: `([^`]*)`\s*$/;

/** JSDoc text of a member, and the default its last sentence states. */
function docsOf(node: ts.Node): { description?: string; default?: Json } {
  const comment = ts
    .getJSDocCommentsAndTags(node)
    .filter(ts.isJSDoc)
    .map((doc) => (typeof doc.comment === "string" ? doc.comment : (ts.getTextOfJSDocComment(doc.comment) ?? "")))
    .join("\n")
    .trim();
  if (!comment) return {};
  const match = DEFAULT_VALUE.exec(comment);
  const description = (match ? comment.slice(0, match.index) : comment).replace(/\s*\n\s*/g, " ").trim();
  const out: { description?: string; default?: Json } = {};
  if (description) out.description = description;
  if (match) {
    // JSON when it parses ("jpeg" quoted, 28, true); fal prints enum defaults of image_size bare.
    try {
      out.default = JSON.parse(match[1]!) as Json;
    } catch {
      out.default = match[1]!;
    }
  }
  return out;
}

class SchemaBuilder {
  readonly schemas: JsonObject = {};

  constructor(private readonly map: TypeMap) {}

  /** Resolve an alias to the schema it names; aliases of aliases collapse to the last name. */
  named(name: string, as?: string): Json {
    const target = this.resolveAlias(name);
    const alias = this.map.aliases.get(target)!;
    const key = as ?? target;
    if (!(key in this.schemas)) {
      this.schemas[key] = {};
      this.schemas[key] = this.schema(alias.type);
    }
    return { $ref: `#/components/schemas/${key}` };
  }

  private resolveAlias(name: string): string {
    let current = name;
    for (let hops = 0; hops < 20; hops++) {
      const alias = this.map.aliases.get(current);
      if (!alias) throw new TypeMapError(`${this.map.file}: type ${current} (from ${name}) is not declared`);
      if (ts.isTypeReferenceNode(alias.type) && !alias.type.typeArguments && this.map.aliases.has(alias.type.typeName.getText(this.map.source))) {
        current = alias.type.typeName.getText(this.map.source);
      } else return current;
    }
    throw new TypeMapError(`${this.map.file}: alias chain from ${name} does not end`);
  }

  schema(node: ts.TypeNode): JsonObject {
    if (ts.isParenthesizedTypeNode(node)) return this.schema(node.type);
    if (ts.isTypeLiteralNode(node)) return this.object(node);
    if (ts.isUnionTypeNode(node)) return this.union(node.types);
    if (ts.isLiteralTypeNode(node)) return literal(node);
    if (ts.isArrayTypeNode(node)) return { type: "array", items: this.schema(node.elementType) };
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: "string" };
      case ts.SyntaxKind.NumberKeyword:
        return { type: "number" };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: "boolean" };
      case ts.SyntaxKind.NullKeyword:
        return { type: "null" };
      case ts.SyntaxKind.UnknownKeyword:
      case ts.SyntaxKind.AnyKeyword:
        return {};
    }
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText(this.map.source);
      const args = node.typeArguments ?? [];
      if (name === "Array" && args.length === 1) return { type: "array", items: this.schema(args[0]!) };
      if (name === "Record" && args.length === 2) return { type: "object", additionalProperties: this.schema(args[1]!) };
      // A file input: the client uploads a Blob to fal's storage and sends its URL.
      if (name === "Blob") return { type: "string" };
      if (this.map.aliases.has(name)) return this.named(name) as JsonObject;
    }
    throw new TypeMapError(`${this.map.file}:${this.line(node)}: type \`${node.getText(this.map.source)}\` is not one the extractor reads`);
  }

  private object(node: ts.TypeLiteralNode): JsonObject {
    const properties: JsonObject = {};
    const required: string[] = [];
    for (const member of node.members) {
      if (!ts.isPropertySignature(member) || !member.type) continue;
      const name = propertyName(member.name);
      const { description, default: def } = docsOf(member);
      const schema = this.schema(member.type);
      properties[name] = { ...schema, ...(description ? { description } : {}), ...(def === undefined ? {} : { default: def }) };
      if (!member.questionToken) required.push(name);
    }
    return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
  }

  private union(types: readonly ts.TypeNode[]): JsonObject {
    // `string | Blob | File` is how the generator writes a URL input the client may upload
    // first; there `File` means the DOM's File (the file's own `File` alias, an output object,
    // shadows it). On the wire it is one string.
    const isRef = (t: ts.TypeNode, name: string) => ts.isTypeReferenceNode(t) && t.typeName.getText(this.map.source) === name;
    if (types.some((t) => isRef(t, "Blob"))) types = types.filter((t) => !isRef(t, "File"));
    const parts = types.map((t) => this.schema(t));
    // `string | Blob | File` is one string; literals of one type are one enum.
    const unique: JsonObject[] = [];
    for (const part of parts) if (!unique.some((u) => JSON.stringify(u) === JSON.stringify(part))) unique.push(part);
    const literals = unique.filter((p) => p.const !== undefined);
    const others = unique.filter((p) => p.const === undefined);
    const merged: JsonObject[] = [...others];
    if (literals.length > 0) {
      const values = literals.map((l) => l.const!);
      const types = [...new Set(literals.map((l) => l.type as string))];
      merged.push({ ...(types.length === 1 ? { type: types[0]! } : {}), enum: values });
    }
    if (merged.length === 1) return merged[0]!;
    return { anyOf: merged };
  }

  private line(node: ts.Node): number {
    return this.map.source.getLineAndCharacterOfPosition(node.getStart(this.map.source)).line + 1;
  }
}

function literal(node: ts.LiteralTypeNode): JsonObject {
  const lit = node.literal;
  if (ts.isStringLiteral(lit)) return { type: "string", const: lit.text };
  if (ts.isNumericLiteral(lit)) return { type: "number", const: Number(lit.text) };
  if (lit.kind === ts.SyntaxKind.TrueKeyword) return { type: "boolean", const: true };
  if (lit.kind === ts.SyntaxKind.FalseKeyword) return { type: "boolean", const: false };
  if (lit.kind === ts.SyntaxKind.NullKeyword) return { type: "null" };
  return {};
}

/** The endpoint's input and output as a schema document, or null when the map does not list it. */
export function typeMapDocument(map: TypeMap, id: string): UpstreamDocument | null {
  const entry = map.endpoints.get(id);
  if (!entry) return null;
  const builder = new SchemaBuilder(map);
  builder.named(entry.input, "Input");
  builder.named(entry.output, "Output");
  return {
    form: `${TYPE_MAP_PACKAGE}@${map.version}`,
    limits: TYPE_MAP_LIMITS,
    doc: { components: { schemas: builder.schemas } },
  };
}
