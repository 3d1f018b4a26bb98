/**
 * `flux run <endpoint> --prompt … [--image ./photo.png] …`: validate, submit, show progress,
 * download the images and the result JSON. Ctrl-C cancels the job on the server (exit 130).
 */
import { AbortError, type QueueHandle, ValidationError } from "@fluxkit/queue";
import type { CliIO } from "../cli-io.js";
import { saveResult } from "../downloads.js";
import { ENDPOINTS, findEndpoint, type RegisteredEndpoint } from "../endpoints.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { FlagError, helpText, parseFlags } from "../flags.js";
import { assertValidFlags, describeIssues, flagForPath, resolveImage } from "../input.js";
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  DEFAULT_OUT_DIR,
  expectNoPositionals,
  HELP_OPTION,
  OUTPUT_HELP,
  OUTPUT_OPTIONS,
  positiveNumber,
  wantsHelp,
} from "../options.js";
import { Progress } from "../progress.js";
import { type Connection, connect } from "../provider.js";
import { printResult } from "../result-output.js";

const RUN_OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...OUTPUT_OPTIONS,
  ...HELP_OPTION,
  image: { type: "string" },
  timeout: { type: "string" },
} as const;

const RUN_USAGE = `Usage: flux run <endpoint> [input flags] [options]

Endpoints: ${ENDPOINTS.map((e) => e.slug).join(", ")} (or their ids).
\`flux run <endpoint> --help\` lists the endpoint's input flags.`;

const COMMON_RUN_HELP = `Options:
  --image <path|url|data-uri>
      Sets image_url; a local file is sent as a data URI (png, jpeg, webp, gif, avif; at most 10 MiB)
  --timeout <seconds>
      Give up after this long: the server job is cancelled and flux exits 5
${OUTPUT_HELP}
${CONNECTION_HELP}`;

export function runHelp(endpoint: RegisteredEndpoint | undefined): string {
  if (endpoint === undefined) return `${RUN_USAGE}\n\n${COMMON_RUN_HELP}\n`;
  return `Usage: flux run ${endpoint.slug} [input flags] [options]

${endpoint.id} (${endpoint.packageName}), providers: local, ${endpoint.endpoint.servers.map((s) => s.provider).join(", ")}

Input flags (from the endpoint's spec; JSON values for objects and arrays):
${helpText([...endpoint.flags])}

${COMMON_RUN_HELP}
`;
}

export async function runCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const name = argv[0] !== undefined && !argv[0].startsWith("-") ? argv[0] : undefined;
  if (name === undefined) {
    if (wantsHelp(argv)) {
      io.stdout.write(runHelp(undefined));
      return ExitCode.ok;
    }
    throw usageError(`flux run: which endpoint? Give one of ${ENDPOINTS.map((e) => e.slug).join(", ")}, e.g. \`flux run flux-lora --prompt "a fox"\`.`);
  }
  const endpoint = findEndpoint(name, "flux run");
  if (wantsHelp(argv)) {
    io.stdout.write(runHelp(endpoint));
    return ExitCode.ok;
  }
  let parsed: ReturnType<typeof parseFlags<typeof RUN_OPTIONS>>;
  try {
    parsed = parseFlags([...endpoint.flags], argv.slice(1), RUN_OPTIONS);
  } catch (error) {
    if (error instanceof FlagError) {
      throw usageError(`flux run ${endpoint.slug}: ${error.problems.join("\n  ")}\nNothing was sent. See \`flux run ${endpoint.slug} --help\` for the flags.`);
    }
    throw error;
  }
  const { input, options, positionals } = parsed;
  expectNoPositionals(positionals, "run");
  if (options.image !== undefined) {
    if (!endpoint.takesImage) {
      const withImage = ENDPOINTS.filter((e) => e.takesImage).map((e) => e.slug);
      throw usageError(`--image: ${endpoint.id} takes no image. For image-to-image use ${withImage.join(" or ")}.`);
    }
    if (input.image_url !== undefined) throw usageError("--image and --image-url both set: give the image once.");
    input.image_url = options.image;
  }
  if (typeof input.image_url === "string") {
    input.image_url = await resolveImage(input.image_url, options.image !== undefined ? "--image" : "--image-url", process.cwd());
  }
  assertValidFlags(endpoint, input);
  const timeoutSeconds = positiveNumber(options.timeout, "--timeout");
  const mode = { json: options.json === true, quiet: options.quiet === true };
  if (io.signal.aborted) return ExitCode.interrupted;

  const connection = await connect({ provider: options.provider, baseUrl: options["base-url"] }, io.env, endpoint);
  const progress = new Progress(io.stderr, { quiet: mode.quiet });
  try {
    if (connection.ephemeral) progress.line(`provider ${connection.label}: offline, images are test patterns`);
    progress.status(`submitting to ${endpoint.id} (${connection.label})`);
    // The submit is not aborted by Ctrl-C: its answer carries the id needed to cancel the job.
    const handle = await submit(connection, endpoint, input);
    progress.line(`request ${handle.requestId}`);
    if (io.signal.aborted) return await cancelOnInterrupt(io, connection, endpoint, handle, progress);
    let result: { data: unknown; requestId: string };
    try {
      result = await connection.queue.subscribe(handle, {
        signal: io.signal,
        mode: "streaming",
        logs: progress.enabled,
        onQueueUpdate: (status) => progress.queueUpdate(status),
        ...(timeoutSeconds === undefined ? {} : { timeout: timeoutSeconds * 1000 }),
      });
    } catch (error) {
      if (error instanceof AbortError && io.signal.aborted) return await cancelOnInterrupt(io, connection, endpoint, handle, progress);
      throw error;
    }
    progress.status(`downloading ${result.requestId}`);
    const saved = await saveResult({
      outDir: options.out ?? DEFAULT_OUT_DIR,
      requestId: result.requestId,
      endpointId: endpoint.id,
      output: result.data,
      signal: io.signal,
    });
    progress.stop();
    printResult(io, saved, mode, { elapsedMs: progress.elapsedMs(), provider: connection.label });
    return ExitCode.ok;
  } finally {
    progress.stop();
    await connection.close();
  }
}

async function submit(connection: Connection, endpoint: RegisteredEndpoint, input: Record<string, unknown>): Promise<QueueHandle> {
  try {
    return await connection.queue.submit(endpoint.endpoint, input);
  } catch (error) {
    // The server refused the input (422): report it like a local validation failure.
    if (error instanceof ValidationError) {
      const lines = describeIssues(error.issues, (path) => flagForPath(endpoint, path));
      throw usageError(`${connection.label} refused the input for ${endpoint.id}:\n  ${lines.join("\n  ")}`);
    }
    throw error;
  }
}

async function cancelOnInterrupt(io: CliIO, connection: Connection, endpoint: RegisteredEndpoint, handle: QueueHandle, progress: Progress): Promise<number> {
  progress.stop();
  try {
    const outcome = await connection.queue.cancel(handle, { signal: AbortSignal.timeout(15_000) });
    io.stderr.write(`flux: interrupted; request ${handle.requestId} on ${connection.label}: ${outcome}.\n`);
  } catch (error) {
    throw new CliError(
      `interrupted, but cancelling request ${handle.requestId} failed (${(error as Error).message}). It may still run (and cost): \`flux cancel ${handle.requestId} --endpoint ${endpoint.id}\`.`,
      ExitCode.interrupted,
    );
  }
  return ExitCode.interrupted;
}
