/**
 * pnpm specs:diff [--base <git ref>] [--root <repo>]
 *
 * Compares specs/normalized in the working tree with the same folder at a git ref (default
 * HEAD) and prints, per endpoint, each change and the version bump it calls for.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { diffSpecSets, formatDiffReport, specsAtRef, specsInTree } from "../release/spec-diff.js";

const ROOT = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
const USAGE = "usage: pnpm specs:diff [--base <git ref>]";

async function main(args: string[]): Promise<number> {
  const rest = args.filter((a) => a !== "--");
  let base = "HEAD";
  let root = ROOT;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const value = rest[i + 1];
    if ((arg === "--base" || arg === "--root") && value !== undefined) {
      if (arg === "--base") base = value;
      else root = resolve(process.env.INIT_CWD ?? process.cwd(), value);
      i++;
    } else if (arg.startsWith("--base=")) base = arg.slice("--base=".length);
    else {
      console.error(`unexpected argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  const diffs = diffSpecSets(await specsAtRef(root, base), await specsInTree(root), base);
  for (const line of formatDiffReport(diffs, base)) console.log(line);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`specs:diff: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
