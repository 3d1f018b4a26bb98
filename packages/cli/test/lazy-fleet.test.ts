/**
 * The default CLI stays light: BullMQ, ioredis and @fluxkit/fleet load only for the commands
 * that use Redis. A module-resolution hook in a child process records every module loaded.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { assertBuilt, tempDir } from "./helpers.js";

assertBuilt();

const MAIN = pathToFileURL(new URL("../dist/main.js", import.meta.url).pathname).href;

const HOOKS = `let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}
`;

/** Runs `flux <args>` in a child process and returns the URLs of the modules it loaded. */
async function modulesLoadedBy(args: readonly string[], cwd: string): Promise<string[]> {
  const hooks = join(cwd, "hooks.mjs");
  const script = join(cwd, "run.mjs");
  await writeFile(hooks, HOOKS);
  await writeFile(
    script,
    `import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const loaded = [];
port1.on("message", (url) => loaded.push(url));
register(${JSON.stringify(pathToFileURL(hooks).href)}, { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] });
const { main } = await import(${JSON.stringify(MAIN)});
const quiet = { write: () => true };
const code = await main(${JSON.stringify(args)}, { stdout: quiet, stderr: quiet, env: {}, signal: new AbortController().signal });
await new Promise((resolve) => setTimeout(resolve, 50));
port1.close();
process.stdout.write(JSON.stringify({ code, loaded }));
`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd, maxBuffer: 1 << 24 });
  return (JSON.parse(stdout) as { loaded: string[] }).loaded;
}

const fleetModules = (urls: readonly string[]) => urls.filter((u) => /\/(bullmq|ioredis)\/|\/fleet\/dist\/|batch-redis|commands\/worker/.test(u));

describe("lazy loading of the Redis mode", () => {
  it("a journal batch and `flux run` never load BullMQ, ioredis or @fluxkit/fleet", async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, "p.jsonl"), '"a light fox"\n');
    const batch = await modulesLoadedBy(["batch", "p.jsonl", "-e", "flux-lora", "--provider", "local", "--quiet"], cwd);
    // The run really happened: the emulator and the queue client were loaded.
    expect(batch.some((u) => u.includes("/emulator/dist/"))).toBe(true);
    expect(fleetModules(batch)).toEqual([]);
    const run = await modulesLoadedBy(["run", "flux-lora", "--prompt", "a fox", "--provider", "local", "--quiet"], cwd);
    expect(fleetModules(run)).toEqual([]);
  });

  it("the Redis commands do load them (so the check above can see them)", async () => {
    const cwd = await tempDir();
    const worker = await modulesLoadedBy(["worker", "--help"], cwd);
    expect(fleetModules(worker).some((u) => u.includes("/bullmq/"))).toBe(true);
  });
});
