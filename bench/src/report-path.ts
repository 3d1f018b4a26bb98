import { fileURLToPath } from "node:url";

/**
 * Where the report goes: `--report` when given; else bench/REPORT.md, but only for a full run or
 * a `--merge`. A quick run's figures are not worth keeping, and a partial run (`--only` without
 * `--merge`) would replace the committed report with a few sections: both are printed only.
 */
export function reportPath(args: { quick: boolean; only: readonly string[]; report: string | undefined; merge: boolean }): string | undefined {
  if (args.report !== undefined) return args.report;
  if (args.quick || (args.only.length > 0 && !args.merge)) return undefined;
  return fileURLToPath(new URL("../REPORT.md", import.meta.url));
}
