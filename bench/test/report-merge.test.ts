/** A partial bench run (`--only`) replaces its own sections and target rows in the report, nothing else. */
import { describe, expect, it } from "vitest";
import { mergeReport, renderReport, type Section } from "../src/report.js";

const info = { quick: false, runs: 3, startedAt: new Date("2026-01-02T03:04:05Z"), durationMs: 1000, loadAtStart: [1, 2, 3] };
const section = (title: string, value: number, pass = true): Section => ({
  id: title.toLowerCase(),
  title,
  method: `How ${title} is measured.`,
  tables: [{ columns: ["Case", "Value"], rows: [["a", value]] }],
  targets: [{ name: `${title} target`, measured: String(value), goal: "> 0", pass }],
  notes: [],
});

describe("mergeReport", () => {
  const full = renderReport([section("Alpha", 1), section("Beta", 2)], info);

  it("replaces a section and its target rows, keeping the others in place", () => {
    const merged = mergeReport(full, [section("Alpha", 9, false)], { ...info, startedAt: new Date("2026-02-03T04:05:06Z") });
    expect(merged).toContain("| Alpha | Alpha target | 9 | > 0 | **miss** |");
    expect(merged).not.toContain("| Alpha | Alpha target | 1 |");
    expect(merged).toContain("| Beta | Beta target | 2 | > 0 | pass |");
    expect(merged).toContain("| a | 9 |");
    expect(merged).toContain("_Measured on its own (`pnpm bench --only`) on 2026-02-03T04:05:06.000Z");
    expect(merged.indexOf("## Alpha")).toBeLessThan(merged.indexOf("## Beta"));
    expect(merged.match(/## Alpha/g)).toHaveLength(1);
  });

  it("adds a new section at the end and its rows to the targets table", () => {
    const merged = mergeReport(full, [section("Gamma", 3)], info);
    expect(merged.indexOf("## Gamma")).toBeGreaterThan(merged.indexOf("## Beta"));
    const targets = merged.slice(merged.indexOf("## Targets"), merged.indexOf("## Alpha"));
    expect(targets.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| Benchmark"))).toEqual([
      "| Alpha | Alpha target | 1 | > 0 | pass |",
      "| Beta | Beta target | 2 | > 0 | pass |",
      "| Gamma | Gamma target | 3 | > 0 | pass |",
    ]);
  });
});
