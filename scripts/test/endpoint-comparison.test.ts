/** One comparer and one report format for import, generate and specs:diff. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareEndpoint } from "../src/release/endpoint-comparison.js";
import { formatComparison } from "../src/release/report.js";
import { REPO } from "./helpers.js";

const names = { id: "fal-ai/flux-lora", slug: "flux-lora", packageName: "@fluxkit/flux-lora" };
const spec = async () => ({ label: "specs/normalized/flux-lora.yaml", yaml: await readFile(join(REPO, "specs/normalized/flux-lora.yaml"), "utf8") });

describe("compareEndpoint", () => {
  it("says new, changed, unchanged or removed, with the classifier's bump", async () => {
    const current = await spec();
    // Lower a maximum: inputs that were valid are refused, a major change for users.
    const narrowed = { label: "after", yaml: current.yaml.replace(/maximum: 50\n/, "maximum: 30\n") };
    expect(narrowed.yaml).not.toBe(current.yaml);

    expect(compareEndpoint(names, current, current)).toMatchObject({ status: "unchanged", bump: "none", changes: [] });
    expect(compareEndpoint(names, null, current)).toMatchObject({ status: "new", bump: "minor" });
    expect(compareEndpoint(names, current, null)).toMatchObject({ status: "removed", bump: "major" });
    const changed = compareEndpoint(names, current, narrowed);
    expect(changed).toMatchObject({ status: "changed", bump: "major" });
    expect(changed.changes.map((c) => c.kind)).toContain("range-narrowed");
  });

  it("names the file when a spec does not parse", () => {
    expect(() => compareEndpoint(names, { label: "specs/normalized/broken.yaml", yaml: "a: [" }, null)).toThrow(
      /^specs\/normalized\/broken\.yaml: does not parse/,
    );
  });
});

describe("formatComparison", () => {
  it("prints one head line and one line per change, the same wherever it is used", async () => {
    const current = await spec();
    const changed = compareEndpoint(names, current, { label: "after", yaml: current.yaml.replace(/maximum: 50\n/, "maximum: 30\n") });
    const [head, ...rest] = formatComparison(changed);
    expect(head).toBe("fal-ai/flux-lora (@fluxkit/flux-lora): changed, major bump");
    expect(rest.some((l) => /^ {2}major {2}Input\.num_inference_steps: maximum 50 → 30/.test(l))).toBe(true);
    expect(formatComparison(changed, { indent: "  ", kinds: true })[1]).toMatch(/^ {4}major {2}range-narrowed +Input\.num_inference_steps/);
    expect(formatComparison(compareEndpoint(names, current, current))).toEqual(["fal-ai/flux-lora (@fluxkit/flux-lora): unchanged"]);
    expect(formatComparison(compareEndpoint(names, current, null), { removal: "package deprecated" })).toEqual([
      "fal-ai/flux-lora (@fluxkit/flux-lora): removed; package deprecated",
    ]);
  });
});
