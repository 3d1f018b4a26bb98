/** Which runs may write bench/REPORT.md: only a full run or a --merge; a --report path always. */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { reportPath } from "../src/report-path.js";

const COMMITTED = fileURLToPath(new URL("../REPORT.md", import.meta.url));
const args = (over: Partial<Parameters<typeof reportPath>[0]>) => ({ quick: false, only: [], report: undefined, merge: false, ...over });

describe("where a bench run writes its report", () => {
  it("a full run writes bench/REPORT.md", () => expect(reportPath(args({}))).toBe(COMMITTED));
  it("a --merge of some sections writes it too (keeping the others)", () => expect(reportPath(args({ only: ["soak"], merge: true }))).toBe(COMMITTED));
  it("a partial run (--only without --merge) prints only, never replacing the committed report", () =>
    expect(reportPath(args({ only: ["client-overhead"] }))).toBeUndefined());
  it("a quick run prints only", () => expect(reportPath(args({ quick: true }))).toBeUndefined());
  it("--report <path> is always honoured", () => expect(reportPath(args({ only: ["soak"], report: "/tmp/x.md" }))).toBe("/tmp/x.md"));
});
