/** Drives the real `flux` binary (bin/flux.js → dist/bin.js) as a child process. */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../bin/flux.js", import.meta.url));
const DIST_BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(DIST_BIN)) throw new Error(`${DIST_BIN} is missing: run \`pnpm --filter @fluxkit/cli build\` before the tests.`);
}

/** The parent's environment without any token or provider choice, so the default is `local`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["CHAINHUB_TOKEN", "KKIAI_TOKEN", "FAL_KEY", "FLUXKIT_TOKEN", "FLUXKIT_PROVIDER", "FLUXKIT_BASE_URL"]) delete env[name];
  return { ...env, ...extra };
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<Exit>;
}

export function startFlux(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Running {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: options.env ?? cleanEnv() });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<Exit>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

export function flux(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Exit> {
  return startFlux(args, options).exited;
}

/** Polls until `check` returns a value other than undefined/false; bounded, never a timing assertion. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, limitMs = 15_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what} after ${limitMs} ms.`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "flux-cli-test-"));
}

export async function magic(path: string): Promise<"png" | "jpeg" | "other"> {
  const bytes = await readFile(path);
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return "other";
}

export async function journalRecords(path: string): Promise<Array<{ type: string; line?: number; request_id?: string }>> {
  let text = "";
  try {
    text = await readFile(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { type: string; line?: number; request_id?: string }];
      } catch {
        return [];
      }
    });
}
