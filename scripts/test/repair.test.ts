import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { extractSpec } from "../src/normalize/extract.js";
import { RepairError, repairYaml } from "../src/normalize/repair.js";

const seed = (name: string) => readFileSync(new URL(`../../specs/sources/chainhub/${name}`, import.meta.url), "utf8");

describe("repairYaml", () => {
  it("quotes a plain scalar holding ': ' on the same line, keeping its value", () => {
    const text = "a:\n  description: Range value: 1-50\n  type: integer\n";
    const { text: repaired, repairs, document } = repairYaml("f.yaml", text, 10);
    expect(repaired.split("\n")).toHaveLength(text.split("\n").length);
    expect(repairs).toEqual([{ line: 11, before: "description: Range value: 1-50", after: "description: 'Range value: 1-50'" }]);
    expect(document.toJS()).toEqual({ a: { description: "Range value: 1-50", type: "integer" } });
  });

  it("escapes single quotes inside the value", () => {
    const { document } = repairYaml("f.yaml", "d: it's a: b\n");
    expect(document.toJS()).toEqual({ d: "it's a: b" });
  });

  it("leaves valid YAML untouched", () => {
    const text = "a: 'x: y'\nb: >-\n  folded: fine\n";
    const result = repairYaml("f.yaml", text);
    expect(result.repairs).toEqual([]);
    expect(result.text).toBe(text);
  });

  it("fails with file:line and the parser's message on YAML it cannot repair", () => {
    const bad = "a:\n  b: [1, 2\n  c: 3\n";
    expect(() => repairYaml("bad.yaml", bad, 5)).toThrow(RepairError);
    try {
      repairYaml("bad.yaml", bad, 5);
    } catch (error) {
      expect((error as RepairError).message).toMatch(/^bad\.yaml:\d+: YAML does not parse/);
      expect((error as RepairError).line).toBeGreaterThanOrEqual(5);
    }
  });

  it("makes every seed export parse: 26 parser errors become 18 line repairs", () => {
    let errors = 0;
    let repairs = 0;
    for (const name of ["flux-lora-image-to-image.apifox.md", "flux-1-dev-image-to-image.apifox.md", "flux-lora.apifox.md"]) {
      const extracted = extractSpec(name, seed(name), "apifox-markdown");
      errors += parseDocument(extracted.text).errors.length;
      const result = repairYaml(name, extracted.text, extracted.firstLine);
      repairs += result.repairs.length;
      expect(result.document.errors).toEqual([]);
      // Reported lines point at the vendor file's own lines.
      const lines = seed(name).split("\n");
      for (const r of result.repairs) expect(lines[r.line - 1]!.trim()).toBe(r.before);
    }
    expect(errors).toBe(26);
    expect(repairs).toBe(18);
  });
});
