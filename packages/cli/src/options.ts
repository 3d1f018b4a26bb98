/** Options shared by several commands, their help lines, and small parsers with clear errors. */
import { providerNames, providerPresets } from "@fluxkit/protocol";
import { usageError } from "./exit-codes.js";

type OptionConfig = { readonly type: "string" | "boolean"; readonly short?: string };

export const CONNECTION_OPTIONS = {
  provider: { type: "string" },
  "base-url": { type: "string" },
} as const satisfies Record<string, OptionConfig>;

export const OUTPUT_OPTIONS = {
  out: { type: "string", short: "o" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const satisfies Record<string, OptionConfig>;

/** For commands that download a job's images (run, result). */
export const DOWNLOAD_OPTIONS = { "max-image-mb": { type: "string" } } as const satisfies Record<string, OptionConfig>;

export const DOWNLOAD_HELP = `  --max-image-mb <n>
      Largest image downloaded, in MiB (default 64); a larger one stops with exit 4`;

/** `--max-image-mb` in bytes, or a usage error. */
export function maxImageBytes(value: string | undefined): number | undefined {
  const mb = positiveNumber(value, "--max-image-mb");
  return mb === undefined ? undefined : Math.floor(mb * 1024 * 1024);
}

export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const satisfies Record<string, OptionConfig>;

export const CONNECTION_HELP = `  --provider <local|${providerNames.join("|")}>
      Where jobs run. Default: the endpoint's first provider whose token is set
      (${providerNames.map((name) => providerPresets[name].tokenEnv).join(", ")}), else local: an emulator started inside
      this process (offline, no token, images are test patterns).
      FLUXKIT_TOKEN is read after the provider's own variable.
  --base-url <url>
      A queue-compatible server instead, e.g. one started by \`flux emulator\`
      (with --provider, that provider's auth scheme and token are used).`;

export const OUTPUT_HELP = `  --out, -o <dir>   Where images and result JSON go (default ./out)
  --json            Print one JSON document on stdout
  --quiet, -q       No progress; print only the written image paths`;

export const DEFAULT_OUT_DIR = "out";

function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

/** With `--help`/`-h` anywhere, writes the command's help and says so: the command then exits 0. */
export function printedHelp(argv: readonly string[], stdout: { write(text: string): unknown }, help: string): boolean {
  if (!wantsHelp(argv)) return false;
  stdout.write(help);
  return true;
}

export function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw usageError(`${flag}: expected a positive number, got "${value}".`);
  return n;
}

export function integerInRange(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw usageError(`${flag}: expected an integer from ${min} to ${max}, got "${value}".`);
  return n;
}

export function expectNoPositionals(positionals: readonly string[], command: string): void {
  if (positionals.length > 0) {
    throw usageError(
      `flux ${command}: unexpected argument${positionals.length === 1 ? "" : "s"} ${positionals.map((p) => `"${p}"`).join(" ")}. See \`flux ${command} --help\`.`,
    );
  }
}
