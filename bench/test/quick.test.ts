/**
 * `pnpm bench --quick` runs end to end and prints a well-formed report, leaving the committed
 * bench/REPORT.md alone. No timing is asserted: benchmarks print numbers, tests check that the
 * numbers are there.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const BENCH = fileURLToPath(new URL("../", import.meta.url));
const SECTIONS = ["Codegen scale", "Client overhead", "Latency to result", "Memory at concurrency", "Bundle size", "Validation", "Soak", "Fleet scaling"];

const COMMITTED = join(BENCH, "REPORT.md");
let committedBefore = "";
let report = "";
let stdout = "";

beforeAll(async () => {
  committedBefore = await readFile(COMMITTED, "utf8");
  const tsx = join(BENCH, "node_modules/.bin/tsx");
  ({ stdout } = await promisify(execFile)(tsx, ["src/run.ts", "--quick"], { cwd: BENCH, maxBuffer: 1 << 26 }));
  // The printed report starts at its title.
  report = stdout.slice(stdout.indexOf("# fluxkit benchmarks"));
});

/** The markdown between `## title` and the next `## `. */
function section(title: string): string {
  const start = report.indexOf(`\n## ${title}\n`);
  if (start < 0) return "";
  const next = report.indexOf("\n## ", start + 1);
  return report.slice(start, next < 0 ? undefined : next);
}

/** Data rows of the first table in `text`, as cells. */
function firstTable(text: string): string[][] {
  const all = text.split("\n");
  const start = all.findIndex((l) => l.startsWith("|"));
  if (start < 0) return [];
  const end = all.findIndex((l, i) => i > start && !l.startsWith("|"));
  return all.slice(start + 2, end < 0 ? undefined : end).map((l) =>
    l
      .slice(1, -1)
      .split(" | ")
      .map((c) => c.trim()),
  );
}

describe("pnpm bench --quick", () => {
  it("prints its report and leaves the committed bench/REPORT.md alone", async () => {
    expect(report).toMatch(/^# fluxkit benchmarks/);
    expect(await readFile(COMMITTED, "utf8")).toBe(committedBefore);
  });

  it("states the machine, the Node version and the date", () => {
    expect(report).toMatch(/^# fluxkit benchmarks/);
    expect(report).toMatch(/\| CPU \| .+ \|/);
    expect(report).toMatch(/\| Cores \| \d+ \|/);
    expect(report).toMatch(/\| Memory \| [\d.]+ GiB \|/);
    expect(report).toContain(`| Node | ${process.version} |`);
    expect(report).toMatch(/\| Date \| \d{4}-\d\d-\d\dT/);
    expect(report).toContain("Quick mode");
  });

  it("has every section, each with a method and a table full of numbers", () => {
    for (const title of SECTIONS) {
      const text = section(title);
      expect(text, `section ${title}`).not.toBe("");
      const rows = firstTable(text);
      expect(rows.length, `rows in ${title}`).toBeGreaterThan(0);
      for (const row of rows) {
        // Every row carries at least one measured number, and nothing is NaN/missing.
        expect(
          row.slice(1).some((c) => /\d/.test(c)),
          `${title}: ${row.join(" | ")}`,
        ).toBe(true);
        expect(row.join(" "), `${title}: ${row.join(" | ")}`).not.toMatch(/n\/a|NaN|undefined/);
      }
    }
  });

  it("lists every target with a measurement and a pass or miss", () => {
    const rows = firstTable(section("Targets"));
    const benchmarks = new Set(rows.map((r) => r[0]));
    for (const title of ["Codegen scale", "Client overhead", "Latency to result", "Bundle size", "Soak", "Fleet scaling"]) expect(benchmarks).toContain(title);
    for (const row of rows) {
      expect(row).toHaveLength(5);
      expect(row[2]).toMatch(/\d/);
      expect(row[4]).toMatch(/^(pass|\*\*miss\*\*)$/);
    }
  });

  it("prints the same tables to stdout", () => {
    for (const title of SECTIONS) expect(stdout).toContain(`== ${title} ==`);
    expect(stdout).toMatch(/(PASS|MISS) {2}/);
  });
});
