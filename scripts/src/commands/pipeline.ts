/**
 * The pipeline's command line (run through the root package.json scripts):
 *   pnpm normalize         vendor sources → specs/normalized/*.yaml
 *   pnpm generate          normalize, then generate every endpoint package; a changeset per
 *                          package whose spec changed, removed endpoints' packages deprecated
 *   pnpm check:generated   regenerate in memory; fail, naming the files, if the tree differs
 * Errors print what went wrong and where, exit 1, and write nothing.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatRegenerationReport } from "../release/changesets.js";
import { planOutputs, staleOutputs } from "../generate/outputs.js";
import { runPipeline } from "../generate/run-pipeline.js";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

async function main(command: string | undefined, flags: string[]): Promise<number> {
  const root = flags.includes("--root") ? resolve(flags[flags.indexOf("--root") + 1]!) : ROOT;
  const quiet = flags.includes("--quiet");
  switch (command) {
    case "normalize":
    case "generate": {
      const started = performance.now();
      const run = await runPipeline(root, command, { force: flags.includes("--force") });
      if (run.upToDate) {
        console.log(
          `${command}: up to date — no input or generated file changed since the last run (${Math.round(performance.now() - started)} ms; --force regenerates)`,
        );
        return 0;
      }
      const { plan, changed } = run;
      const { outputs, removals, normalized, endpoints, removed } = plan;
      if (!quiet) for (const line of normalized.log) console.log(line);
      for (const line of formatRegenerationReport(endpoints)) console.log(line);
      if (command === "normalize") {
        for (const item of removed.filter((r) => r.specPath))
          console.log(`${item.specPath}: no source describes ${item.id} any more; \`pnpm generate\` deprecates its package`);
      }
      const ms = Math.round(performance.now() - started);
      console.log(`${command}: ${normalized.endpoints.length} endpoints, ${outputs.length} files, ${changed.length} changed (${ms} ms)`);
      for (const path of changed) console.log(`  ${removals.includes(path) ? "deleted" : "wrote"} ${path}`);
      return 0;
    }
    case "check": {
      const { outputs, removals } = await planOutputs(root, "generate");
      // Changesets are not generated files: they are written once per spec change and then
      // consumed by `changeset version`, so they are not part of this comparison.
      const stale = [...(await staleOutputs(root, outputs)), ...removals.map((path) => `${path} (no source describes it any more)`)];
      if (stale.length === 0) {
        console.log(`check:generated: ${outputs.length} generated files match the specs`);
        return 0;
      }
      console.error(`check:generated: ${stale.length} generated files are out of date:`);
      for (const path of stale) console.error(`  ${path}`);
      console.error("Run `pnpm generate` and commit the result.");
      return 1;
    }
    default:
      console.error("usage: pnpm normalize|generate|check:generated — commands/pipeline.ts normalize|generate|check [--root DIR] [--quiet] [--force]");
      return 2;
  }
}

main(process.argv[2], process.argv.slice(3)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `error: ${error.message}` : error);
    process.exit(1);
  },
);
