/**
 * pnpm specs:upstream [--update] [--root <repo>] [--type-map <endpoints.d.ts> --type-map-version <v>]
 *
 * Compares every endpoint's normalized Input and Output with fal's own schemas and prints a
 * table of endpoint, field, fact, upstream value and ours. Exit 1 on an undeclared difference,
 * a stale declaration or a type map whose facts moved since the snapshot; 2 on bad usage.
 * `--update` records the installed type map's facts as the snapshot (after reconciling).
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatUpstreamReport, runUpstreamCheck } from "../upstream/check.js";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const USAGE = "usage: pnpm specs:upstream [--update] [--root <repo>] [--type-map <endpoints.d.ts> --type-map-version <version>]";

async function main(args: string[]): Promise<number> {
  const values = new Map<string, string>();
  let update = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") continue;
    if (arg === "--update") update = true;
    else if (["--root", "--type-map", "--type-map-version"].includes(arg) && args[i + 1] !== undefined) values.set(arg, args[++i]!);
    else {
      console.error(`unknown or incomplete argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  if (values.has("--type-map") !== values.has("--type-map-version")) {
    console.error(`--type-map and --type-map-version go together\n${USAGE}`);
    return 2;
  }
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const report = await runUpstreamCheck(values.has("--root") ? resolve(cwd, values.get("--root")!) : ROOT, {
    update,
    typeMap: values.has("--type-map") ? { file: resolve(cwd, values.get("--type-map")!), version: values.get("--type-map-version")! } : undefined,
  });
  const lines = formatUpstreamReport(report);
  (report.ok ? console.log : console.error)(lines.join("\n"));
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`specs:upstream: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
