/**
 * Runs the benchmarks, prints their tables and writes the report.
 *
 *   tsx src/run.ts                 full run (minutes), writes bench/REPORT.md
 *   tsx src/run.ts --quick         small N, few runs (seconds): checks the harness
 *   tsx src/run.ts --only <name>   one benchmark (repeatable): codegen-scale, client-overhead, …;
 *                                  its sections replace theirs in an existing report, the rest stays
 *   tsx src/run.ts --report <path> write the report elsewhere
 */
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { bundleSize } from "./bundle-size.js";
import { clientOverhead } from "./client-overhead.js";
import { codegenScale } from "./codegen-scale.js";
import { fleetScaling } from "./fleet-scaling.js";
import { latencyToResult } from "./latency-to-result.js";
import { memory } from "./memory.js";
import { printSection, type Section, writeReport } from "./report.js";
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
  "fleet-scaling": fleetScaling,
};

function parseArgs(argv: string[]): { quick: boolean; only: string[]; report: string } {
  const args = { quick: false, only: [] as string[], report: fileURLToPath(new URL("../REPORT.md", import.meta.url)) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") args.quick = true;
    else if (a === "--only" || a === "--report") {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === "--only") {
        if (!(v in BENCHMARKS)) throw new Error(`--only ${v}: unknown benchmark; expected one of ${Object.keys(BENCHMARKS).join(", ")}`);
        args.only.push(v);
      } else args.report = v;
    } else if (a !== "--") throw new Error(`unknown argument ${a}; expected --quick, --only <name>, --report <path>`);
  }
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
  const info = { quick: ctx.quick, runs: ctx.runs, startedAt, durationMs: performance.now() - t0, loadAtStart };
  await writeReport(args.report, sections, info, args.only.length > 0);
  console.log(`\nreport written to ${args.report}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
