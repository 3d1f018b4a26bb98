/**
 * Runs the benchmarks, prints their tables and writes the report.
 *
 *   tsx src/run.ts                 full run (minutes), writes bench/REPORT.md
 *   tsx src/run.ts --quick         small N, few runs (seconds): checks the harness; prints the report
 *                                  and leaves the committed bench/REPORT.md (a full run's) alone
 *   tsx src/run.ts --only <name>   one benchmark (repeatable): codegen-scale, client-overhead, …;
 *                                  printed only unless --merge or --report
 *   tsx src/run.ts --report <path> write the report there (with --quick too)
 *   tsx src/run.ts --only soak --merge   re-measure some sections into the existing report,
 *                                         keeping the others (the header says which run is which)
 */
import { loadavg } from "node:os";
import { bundleSize } from "./bundle-size.js";
import { clientOverhead } from "./client-overhead.js";
import { codegenScale } from "./codegen-scale.js";
import { fleetScaling } from "./fleet-scaling.js";
import { latencyToResult } from "./latency-to-result.js";
import { memory } from "./memory.js";
import { printSection, renderReport, type Section, writeReport } from "./report.js";
import { reportPath } from "./report-path.js";
import { soak } from "./soak.js";
import { validation } from "./validation.js";

export interface BenchContext {
  quick: boolean;
  /** Runs per figure (the median is reported). */
  runs: number;
}

export const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<Section>> = {
  "codegen-scale": codegenScale,
  "client-overhead": clientOverhead,
  "latency-to-result": latencyToResult,
  memory,
  "bundle-size": bundleSize,
  validation,
  soak,
  "fleet-scaling": fleetScaling,
};

function parseArgs(argv: string[]): { quick: boolean; only: string[]; report: string | undefined; merge: boolean } {
  const args = { quick: false, only: [] as string[], report: undefined as string | undefined, merge: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") args.quick = true;
    else if (a === "--merge") args.merge = true;
    else if (a === "--only" || a === "--report") {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === "--only") {
        if (!(v in BENCHMARKS)) throw new Error(`--only ${v}: unknown benchmark; expected one of ${Object.keys(BENCHMARKS).join(", ")}`);
        args.only.push(v);
      } else args.report = v;
    } else if (a !== "--") throw new Error(`unknown argument ${a}; expected --quick, --only <name>, --report <path>, --merge`);
  }
  if (args.merge && args.only.length === 0) throw new Error("--merge re-measures the sections named by --only; name at least one");
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const ctx: BenchContext = { quick: args.quick, runs: args.quick ? 2 : 5 };
  const startedAt = new Date();
  const loadAtStart = loadavg();
  const t0 = performance.now();
  const sections: Section[] = [];
  for (const [name, bench] of Object.entries(BENCHMARKS)) {
    if (args.only.length > 0 && !args.only.includes(name)) continue;
    console.error(`running ${name}…`);
    const section = await bench(ctx);
    printSection(section);
    sections.push(section);
  }
  const report = reportPath(args);
  const info = { quick: ctx.quick, runs: ctx.runs, startedAt, durationMs: performance.now() - t0, loadAtStart };
  if (report === undefined) {
    console.log(`\n${renderReport(sections, info)}`);
    console.log(
      `${ctx.quick ? "quick" : "partial"} run: the report above is printed only; bench/REPORT.md is left as it is (${ctx.quick ? "" : "--merge puts these sections into it, "}--report <path> writes one)`,
    );
    return;
  }
  await writeReport(report, sections, info, args.merge);
  console.log(`\nreport written to ${report}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
