/**
 * The pipeline's command line (run through the root package.json scripts):
 *   pnpm normalize         vendor sources → specs/normalized/*.yaml
 *   pnpm generate          normalize, then generate every endpoint package
 *   pnpm check:generated   regenerate in memory; fail, naming the files, if the tree differs
 * Errors print what went wrong and where, exit 1, and write nothing.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { planOutputs, staleOutputs, writeOutputs } from "./outputs.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

async function main(command: string | undefined, flags: string[]): Promise<number> {
  const root = flags.includes("--root") ? resolve(flags[flags.indexOf("--root") + 1]!) : ROOT;
  const quiet = flags.includes("--quiet");
  switch (command) {
    case "normalize":
    case "generate": {
      const started = performance.now();
      const { outputs, normalized } = await planOutputs(root, command);
      if (!quiet) for (const line of normalized.log) console.log(line);
      const changed = await writeOutputs(root, outputs);
      const ms = Math.round(performance.now() - started);
      console.log(`${command}: ${normalized.endpoints.length} endpoints, ${outputs.length} files, ${changed.length} changed (${ms} ms)`);
      for (const path of changed) console.log(`  wrote ${path}`);
      return 0;
    }
    case "check": {
      const { outputs } = await planOutputs(root, "generate");
      const stale = await staleOutputs(root, outputs);
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
      console.error("usage: cli.ts normalize|generate|check [--root DIR] [--quiet]");
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
