/** `flux emulator [--port --provider …]`: the local queue server in the foreground until Ctrl-C. */
import { ConfigError, createEmulator, parseCliArgs, USAGE } from "@fluxkit/emulator";
import { authSchemeLabel } from "@fluxkit/protocol";
import type { CliIO } from "../cli-io.js";
import { ExitCode, usageError } from "../exit-codes.js";

export const EMULATOR_HELP = `${USAGE.replaceAll("fluxkit-emulator", "flux emulator")}
Point flux at it from another terminal with --base-url (add --provider <p> when it plays a
gateway, so the matching auth scheme is used), e.g.
  flux run flux-lora --base-url http://127.0.0.1:4000 --prompt "a fox"
`;

export async function emulatorCommand(argv: readonly string[], io: CliIO): Promise<number> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message.replaceAll("fluxkit-emulator", "flux emulator"));
    throw error;
  }
  if (command.help) {
    io.stdout.write(EMULATOR_HELP);
    return ExitCode.ok;
  }
  let emulator: Awaited<ReturnType<typeof createEmulator>>;
  try {
    emulator = await createEmulator(command.options);
  } catch (error) {
    if (error instanceof ConfigError) throw usageError(error.message.replace(/^Invalid (\w)/, "Invalid --$1"));
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw usageError(`--port ${String(command.options.port)}: the port is already in use; pick another or --port 0 for a free one.`);
    if (code === "EACCES") throw usageError(`--port ${String(command.options.port)}: permission denied; use a port above 1023.`);
    throw error;
  }
  io.stdout.write(`flux emulator listening on ${emulator.url}\n`);
  io.stdout.write(`  provider ${emulator.provider} (Authorization: ${authSchemeLabel(emulator.auth)} <any token>)\n`);
  for (const e of emulator.endpoints) io.stdout.write(`  POST ${emulator.url}${e.submitPath}  (${e.id})\n`);
  const providerFlag = emulator.provider === "fal" ? "" : ` --provider ${emulator.provider}`;
  io.stdout.write(
    `  try: flux run ${(emulator.endpoints.find((e) => e.id === "fal-ai/flux-lora") ?? emulator.endpoints[0])?.id ?? "<endpoint>"} --base-url ${emulator.url}${providerFlag} --prompt "a fox"\n`,
  );
  io.stdout.write("  Ctrl-C stops it.\n");
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await emulator.close();
  io.stdout.write("flux emulator stopped\n");
  return ExitCode.ok;
}
