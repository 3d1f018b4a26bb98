/**
 * pnpm specs:import <file|URL> [--provider <name>] [--format apifox-markdown|yaml|json|docs-page|fal-openapi]
 *                   [--origin <text>] [--name <file name>] [--max-bytes <n>] [--root <repo>]
 *
 * Stores a vendor document under specs/sources/<provider>/ with its provenance and reports the
 * endpoints it describes. Fails with what and where, exit 1, writing nothing.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceFormat } from "../normalize/extract.js";
import { formatImportReport, importSource } from "../normalize/import-source.js";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const USAGE =
  "usage: pnpm specs:import <file|URL> [--provider <name>] [--format apifox-markdown|yaml|json|docs-page|fal-openapi] [--origin <text>] [--name <file name>] [--max-bytes <n, default 5 MiB>]\n" +
  "  fal's own schema of an endpoint: pnpm specs:import 'https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<id>' (provider fal)";

function parseArgs(args: string[]): { positional: string[]; options: Map<string, string> } {
  const positional: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const [key, inline] = arg.slice(2).split(/=(.*)/s) as [string, string | undefined];
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`--${key} needs a value\n${USAGE}`);
    options.set(key, value);
  }
  return { positional, options };
}

async function main(args: string[]): Promise<number> {
  const { positional, options } = parseArgs(args.filter((a) => a !== "--"));
  const unknown = [...options.keys()].filter((k) => !["provider", "format", "origin", "name", "max-bytes", "root"].includes(k));
  // --provider may be left out for fal's own queue OpenAPI (provider fal); importSource says when it is needed.
  if (positional.length !== 1 || unknown.length > 0) {
    console.error(unknown.length > 0 ? `unknown option --${unknown[0]}\n${USAGE}` : USAGE);
    return 2;
  }
  // pnpm runs scripts from the repo root; a relative path is taken from where the user typed it.
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const result = await importSource(
    options.has("root") ? resolve(cwd, options.get("root")!) : ROOT,
    {
      input: positional[0]!,
      provider: options.get("provider"),
      format: options.get("format") as SourceFormat | undefined,
      origin: options.get("origin"),
      name: options.get("name"),
      ...(options.has("max-bytes") ? { maxBytes: Number(options.get("max-bytes")) } : {}),
    },
    { cwd },
  );
  for (const line of formatImportReport(result)) console.log(line);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`specs:import: ${error instanceof Error ? error.message : String(error)}`);
    console.error("Nothing was written.");
    process.exit(1);
  },
);
