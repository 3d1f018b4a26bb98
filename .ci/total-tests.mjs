// Sums the "Tests  N passed | M failed | K skipped (T)" lines vitest prints per package.
import { readFileSync } from "node:fs";

const text = readFileSync(process.argv[2], "utf8").replace(/\x1b\[[0-9;]*m/g, "");
const totals = { passed: 0, failed: 0, skipped: 0 };
for (const line of text.split("\n")) {
  if (!/^\S*\s*Tests\s+\d/.test(line.replace(/^[^:]*:test:\s*/, ""))) continue;
  for (const kind of Object.keys(totals)) {
    const match = new RegExp(`(\\d+) ${kind}`).exec(line);
    if (match) totals[kind] += Number(match[1]);
  }
}
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
