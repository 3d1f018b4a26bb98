#!/usr/bin/env node
/** `fluxkit-emulator`: starts the emulator, prints its URL, stops on SIGINT/SIGTERM. Bad configuration exits 2. */
import { authSchemeLabel } from "@fluxkit/protocol";
import { parseCliArgs, USAGE } from "./cli-args.js";
import { ConfigError } from "./config.js";
import { createEmulator } from "./server.js";

function fail(message: string, code: number): never {
  process.stderr.write(`fluxkit-emulator: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  if (command.help) {
    process.stdout.write(USAGE);
    return;
  }
  let emulator: Awaited<ReturnType<typeof createEmulator>>;
  try {
    emulator = await createEmulator(command.options);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message.replace(/^Invalid (\w)/, "Invalid --$1"), 2);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      fail(`Invalid --port ${String(command.options.port)}: ${code === "EADDRINUSE" ? "the port is already in use" : "permission denied"}.`, 2);
    }
    throw error;
  }
  process.stdout.write(`fluxkit-emulator listening on ${emulator.url}\n`);
  process.stdout.write(`  provider ${emulator.provider} (Authorization: ${authSchemeLabel(emulator.auth)} <token>)\n`);
  for (const e of emulator.endpoints) process.stdout.write(`  POST ${emulator.url}${e.submitPath}  (${e.id})\n`);
  process.stdout.write(`  JWKS ${emulator.jwksUrl}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    emulator
      .close()
      .then(() => {
        process.stdout.write(`fluxkit-emulator stopped (${signal})\n`);
        process.exit(0);
      })
      .catch((error: unknown) => fail(`failed to stop cleanly: ${(error as Error).message}`, 1));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((error: unknown) => fail((error as Error).stack ?? String(error), 1));
