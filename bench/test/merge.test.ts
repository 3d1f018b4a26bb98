/** `--merge`: re-measured sections replace their old text and target rows; everything else stays as it was. */
import { describe, expect, it } from "vitest";
import { mergeReport, renderReport, type RunInfo, type Section } from "../src/report.js";

const section = (title: string, value: number, pass = true): Section => ({
  id: title.toLowerCase(),
  title,
  method: `How ${title} is measured.`,
  tables: [{ columns: ["Figure", "Value"], rows: [["n", value]] }],
  targets: [{ name: `${title} target`, measured: String(value), goal: "≥ 1", pass }],
  notes: [],
});
const info = (iso: string): RunInfo => ({ quick: false, runs: 5, startedAt: new Date(iso), durationMs: 1000, loadAtStart: [0.5, 0.5, 0.5] });

describe("mergeReport", () => {
  it("replaces re-run sections and their target rows, adds new ones, keeps the rest and says which run is which", () => {
    const original = renderReport([section("Alpha", 1), section("Beta", 2)], info("2026-01-01T00:00:00.000Z"));
    const merged = mergeReport(original, [section("Beta", 7, false), section("Gamma", 3)], info("2026-02-02T00:00:00.000Z"));
    expect(merged).toContain("| Date | 2026-01-01T00:00:00.000Z |");
    expect(merged).toMatch(/Re-run later with `--merge` \(2026-02-02T00:00:00\.000Z, .*\): Beta, Gamma\./);
    expect(merged).toContain("| Alpha | Alpha target | 1 | ≥ 1 | pass |");
    expect(merged).toContain("| Beta | Beta target | 7 | ≥ 1 | **miss** |");
    expect(merged).not.toContain("| Beta | Beta target | 2 |");
    expect(merged).toContain("| Gamma | Gamma target | 3 | ≥ 1 | pass |");
    expect(merged.match(/^## Beta$/gm)).toHaveLength(1);
    expect(merged.indexOf("## Alpha")).toBeLessThan(merged.indexOf("## Beta"));
    // Target rows keep their order: Beta's new row where its old one was, Gamma's last.
    expect(merged.indexOf("| Alpha | Alpha target")).toBeLessThan(merged.indexOf("| Beta | Beta target"));
    expect(merged.indexOf("| Beta | Beta target")).toBeLessThan(merged.indexOf("| Gamma | Gamma target"));
    expect(merged.indexOf("## Beta")).toBeLessThan(merged.indexOf("## Gamma"));
    expect(merged).toContain("| n | 7 |");
    // Re-measuring a section again takes it out of the older note.
    const again = mergeReport(merged, [section("Gamma", 4)], info("2026-03-03T00:00:00.000Z"));
    expect(again).toMatch(/Re-run later with `--merge` \(2026-02-02T00:00:00\.000Z, .*\): Beta\. /);
    expect(again).toMatch(/Re-run later with `--merge` \(2026-03-03T00:00:00\.000Z, .*\): Gamma\. /);
    expect(again).toContain("| Gamma | Gamma target | 4 |");
  });
});
