/**
 * Values to run through a validator, generated from an Input schema: a full valid input, then
 * that input with one place changed at a time to each candidate for that place (wrong types,
 * each bound and either side of it, each enum member and a non-member, each union branch),
 * each required field removed, and an unknown field added — recursively into nested objects
 * (image_size's object form, each LoRA).
 */
type Node = Record<string, unknown>;

export function sampleInputs(schema: Node): unknown[] {
  const defs = (schema.$defs ?? {}) as Record<string, Node>;
  const resolve = (node: Node): Node => (typeof node.$ref === "string" ? resolve(defs[node.$ref.replace("#/$defs/", "")]!) : node);
  const types = (node: Node): string[] => (Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type]) as string[];

  const good = (raw: Node): unknown => {
    const node = resolve(raw);
    if (node.default !== undefined) return node.default;
    if (Array.isArray(node.enum)) return node.enum[0];
    if (Array.isArray(node.anyOf)) return good(node.anyOf[0] as Node);
    const type = types(node)[0];
    if (type === "integer" || type === "number") {
      const min = (node.minimum as number | undefined) ?? ((node.exclusiveMinimum as number | undefined) ?? 0) + 1;
      return min;
    }
    if (type === "string") return "a fox";
    if (type === "boolean") return true;
    if (type === "array") return node.items === undefined ? [] : [good(node.items as Node)];
    if (type === "object" || node.properties !== undefined) {
      return Object.fromEntries(Object.entries((node.properties ?? {}) as Record<string, Node>).map(([k, v]) => [k, good(v)]));
    }
    return null;
  };

  const GENERIC: unknown[] = [null, true, false, 0, 1, -1, 1.5, "", "x", [], {}, [1], { a: 1 }];

  const variants = (raw: Node, depth: number): unknown[] => {
    const node = resolve(raw);
    const out: unknown[] = [...GENERIC];
    for (const key of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
      const limit = node[key];
      if (typeof limit === "number") out.push(limit, limit - 1, limit + 1, limit - 0.5, limit + 0.5, `${limit}`);
    }
    if (Array.isArray(node.enum)) out.push(...node.enum, "not-a-member", String(node.enum[0]).toUpperCase(), ` ${String(node.enum[0])}`);
    if (Array.isArray(node.anyOf)) for (const branch of node.anyOf as Node[]) out.push(...variants(branch, depth));
    if (depth < 3 && (node.properties !== undefined || types(node).includes("object"))) out.push(...objectVariants(node, depth + 1));
    if (depth < 3 && node.items !== undefined) {
      const item = node.items as Node;
      const base = good(item);
      out.push([base], [base, base]);
      for (const v of variants(item, depth + 1)) out.push([v], [base, v]);
    }
    return out;
  };

  const objectVariants = (node: Node, depth: number): unknown[] => {
    const base = good(node) as Record<string, unknown>;
    const out: unknown[] = [base, { ...base, not_a_field: 1 }];
    for (const name of (node.required ?? []) as string[]) {
      const { [name]: _removed, ...rest } = base;
      out.push(rest);
    }
    for (const [name, child] of Object.entries((node.properties ?? {}) as Record<string, Node>)) {
      for (const v of variants(child, depth)) out.push({ ...base, [name]: v });
    }
    return out;
  };

  return [...objectVariants(schema, 0), ...GENERIC];
}
