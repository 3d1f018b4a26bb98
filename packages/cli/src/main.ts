/** `flux <command> …`: dispatch, and every error turned into a message and an exit code. */
import { FluxkitError, ValidationError } from "@fluxkit/queue";
import type { CliIO } from "./cli-io.js";
import { batchCommand } from "./commands/batch.js";
import { cancelCommand } from "./commands/cancel.js";
import { emulatorCommand } from "./commands/emulator.js";
import { endpointsCommand } from "./commands/endpoints.js";
import { resultCommand } from "./commands/result.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { CliError, ExitCode, exitCodeFor } from "./exit-codes.js";
import { FlagError } from "./flags.js";

type Command = (argv: readonly string[], io: CliIO) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  run: runCommand,
  status: statusCommand,
  result: resultCommand,
  cancel: cancelCommand,
  endpoints: endpointsCommand,
  emulator: emulatorCommand,
  batch: batchCommand,
  // Loaded on demand: they bring BullMQ and ioredis, which no other command needs.
  worker: async (argv, io) => (await import("./commands/worker.js")).workerCommand(argv, io),
  "webhook-receiver": async (argv, io) => (await import("./commands/webhook-receiver.js")).webhookReceiverCommand(argv, io),
};

export const USAGE = `Usage: flux <command> [options]

Run fal's FLUX endpoints from the terminal: offline against an embedded emulator by default,
for real with --provider chainhub|kkiai|fal and a token in the environment.

Commands:
  run <endpoint> --prompt …        Run one job, show progress, save images to ./out
  batch <file.jsonl> -e <endpoint> Many jobs from a JSONL file, resumable (journal on disk);
                                   with --redis <url> --name <batch>: enqueued for workers
  batch status|results <batch> --redis <url>
                                   Progress (rate, ETA) / one result line per input line
  worker --redis <url> --provider <p>
                                   Run the enqueued batches of a provider on this machine
  webhook-receiver --redis <url>   Verify webhook deliveries and complete their jobs
  status <request-id> -e <endpoint>  A job's queue status
  result <request-id> -e <endpoint>  Fetch and save a finished job's output
  cancel <request-id> -e <endpoint>  Cancel a queued or running job
  endpoints                        List endpoints and their providers
  emulator [--port …]              Start the local emulator in the foreground

\`flux <command> --help\` for details, \`flux run <endpoint> --help\` for an endpoint's flags.

Exit codes: 0 ok, 2 bad input or usage, 3 auth, 4 provider or job failure, 5 timeout,
130 interrupted (Ctrl-C).
`;

function describe(error: unknown, command: string | undefined): string {
  if (error instanceof FlagError) {
    const where = command === undefined ? "flux" : `flux ${command}`;
    return `${where}: ${error.problems.join("\n  ")}\nSee \`${where} --help\`.`;
  }
  if (error instanceof CliError) return error.message;
  if (error instanceof ValidationError) return error.message;
  if (error instanceof FluxkitError) {
    const id = error.requestId !== undefined && !error.message.includes(error.requestId) ? ` (request ${error.requestId})` : "";
    return `${error.message}${id}`;
  }
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic] !== undefined) return main([topic, "--help"], io);
    io.stdout.write(USAGE);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`flux: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}. See \`flux --help\`.\n`);
    return ExitCode.usage;
  }
  try {
    return await command(rest, io);
  } catch (error) {
    // Whatever failed while Ctrl-C was aborting things is a consequence of the interrupt.
    const code = io.signal.aborted && !(error instanceof CliError) ? ExitCode.interrupted : exitCodeFor(error);
    const text = code === ExitCode.interrupted && io.signal.aborted && !(error instanceof CliError) ? "interrupted" : describe(error, name);
    io.stderr.write(`${text.startsWith("flux ") ? "" : "flux: "}${text}\n`);
    return code;
  }
}
