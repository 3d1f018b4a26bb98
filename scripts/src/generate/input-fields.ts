/**
 * The field names of every object in an Input schema, by path pattern, for the endpoint
 * metadata (`inputFields`): `""` is the input, `"loras.*"` each item of `loras`, `"image_size"`
 * the object branch of a union. @fluxkit/queue refuses a field not listed (a typo the server
 * would silently ignore) unless told otherwise. An object that admits any field
 * (`additionalProperties` true or a schema, or no `properties` at all) is not listed.
 */
import { isObject, type Json, type JsonObject } from "../json.js";

// Deeper than any real input; also stops a self-referencing schema.
const MAX_DEPTH = 8;

export function inputFieldMap(schema: JsonObject): Record<string, string[]> {
  const defs = isObject(schema.$defs) ? schema.$defs : {};
  const fields = new Map<string, Set<string>>();
  const open = new Set<string>();
  const resolve = (node: Json): JsonObject | undefined => {
    let current = node;
    for (let hops = 0; isObject(current) && typeof current.$ref === "string" && hops < MAX_DEPTH; hops++) {
      current = defs[current.$ref.replace(/^#\/\$defs\//, "")] ?? null;
    }
    return isObject(current) ? current : undefined;
  };
  const visit = (node: Json, pattern: string, depth: number): void => {
    const schemaNode = resolve(node);
    if (schemaNode === undefined || depth > MAX_DEPTH) return;
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const branches = schemaNode[key];
      if (Array.isArray(branches)) for (const branch of branches) visit(branch, pattern, depth + 1);
    }
    if (isObject(schemaNode.items)) visit(schemaNode.items, pattern === "" ? "*" : `${pattern}.*`, depth + 1);
    if (isObject(schemaNode.properties)) {
      const additional = schemaNode.additionalProperties;
      if (additional === undefined || additional === false) {
        const names = fields.get(pattern) ?? new Set<string>();
        for (const name of Object.keys(schemaNode.properties)) names.add(name);
        fields.set(pattern, names);
      } else open.add(pattern);
      for (const [name, child] of Object.entries(schemaNode.properties)) visit(child, pattern === "" ? name : `${pattern}.${name}`, depth + 1);
    } else if (schemaNode.type === "object" || isObject(schemaNode.additionalProperties) || schemaNode.additionalProperties === true) {
      open.add(pattern);
    }
  };
  visit(schema, "", 0);
  // A place one branch leaves open stays open: nothing there can be called unknown.
  for (const pattern of open) fields.delete(pattern);
  return Object.fromEntries([...fields.keys()].sort().map((pattern) => [pattern, [...(fields.get(pattern) ?? [])].sort()]));
}
