/**
 * `flux run <endpoint> --prompt … [--image ./photo.png] …`: validate, submit, show progress,
 * download the images and the result JSON. Ctrl-C cancels the job on the server (exit 130).
 */
import { AbortError, type QueueHandle, TimeoutError, ValidationError } from "@fluxkit/queue";
import type { CliIO } from "../cli-io.js";
import { saveResult } from "../downloads.js";
import { ENDPOINTS, findEndpoint, type RegisteredEndpoint } from "../endpoints.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { collectFlags, helpText } from "../flags.js";
import { describeIssues, flagForPath, inputProblems, resolveImage } from "../input.js";
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  DEFAULT_OUT_DIR,
  DOWNLOAD_HELP,
  DOWNLOAD_OPTIONS,
  HELP_OPTION,
  OUTPUT_HELP,
  OUTPUT_OPTIONS,
  maxImageBytes,
  positiveNumber,
  printedHelp,
} from "../options.js";
import { Progress } from "../progress.js";
import { type Connection, connect } from "../provider.js";
import { printResult } from "../result-output.js";

const RUN_OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...OUTPUT_OPTIONS,
  ...DOWNLOAD_OPTIONS,
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
      Give up after this long, whatever is running (submit, wait, downloads): a job still
      waiting is cancelled on the server within that time, and flux exits 5
${OUTPUT_HELP}
${DOWNLOAD_HELP}
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
    if (printedHelp(argv, io.stdout, runHelp(undefined))) return ExitCode.ok;
    throw usageError(`flux run: which endpoint? Give one of ${ENDPOINTS.map((e) => e.slug).join(", ")}, e.g. \`flux run flux-lora --prompt "a fox"\`.`);
  }
  const endpoint = findEndpoint(name, "flux run");
  if (printedHelp(argv, io.stdout, runHelp(endpoint))) return ExitCode.ok;
  // Every problem at once (flags that do not parse, options, the image, the schema), exit 2.
  const { input, options, positionals, problems, failedFields } = collectFlags([...endpoint.flags], argv.slice(1), RUN_OPTIONS);
  const noteUsageError = (error: unknown): undefined => {
    if (!(error instanceof CliError && error.exitCode === ExitCode.usage)) throw error;
    problems.push(error.message);
    return undefined;
  };
  const check = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      return noteUsageError(error);
    }
  };
  if (positionals.length > 0) problems.push(`unexpected argument${positionals.length === 1 ? "" : "s"} ${positionals.map((p) => `"${p}"`).join(" ")}`);
  const timeoutSeconds = check(() => positiveNumber(options.timeout, "--timeout"));
  const maxImage = check(() => maxImageBytes(options["max-image-mb"]));
  if (options.image !== undefined) {
    if (!endpoint.takesImage) {
      const withImage = ENDPOINTS.filter((e) => e.takesImage).map((e) => e.slug);
      problems.push(`--image: ${endpoint.id} takes no image. For image-to-image use ${withImage.join(" or ")}.`);
    } else if (input.image_url !== undefined) problems.push("--image and --image-url both set: give the image once.");
    else input.image_url = options.image;
  }
  if (typeof input.image_url === "string") {
    const where = options.image !== undefined ? "--image" : "--image-url";
    const resolved = await resolveImage(input.image_url, where, process.cwd()).catch(noteUsageError);
    if (resolved === undefined) {
      delete input.image_url;
      failedFields.add("image_url");
    } else input.image_url = resolved;
  }
  problems.push(...inputProblems(endpoint, input, failedFields));
  if (problems.length > 0) {
    throw usageError(
      `flux run ${endpoint.slug}: ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was sent:\n  ${problems.join("\n  ")}\nSee \`flux run ${endpoint.slug} --help\` for the flags.`,
    );
  }
  const mode = { json: options.json === true, quiet: options.quiet === true };
  if (io.signal.aborted) return ExitCode.interrupted;

  // --timeout bounds the whole command: the submit, the wait (the cancel included) and the downloads.
  const deadline = timeoutSeconds === undefined ? undefined : Date.now() + timeoutSeconds * 1000;
  const remainingMs = () => (deadline === undefined ? undefined : Math.max(1, deadline - Date.now()));
  const connection = await connect({ provider: options.provider, baseUrl: options["base-url"] }, io.env, endpoint);
  const progress = new Progress(io.stderr, { quiet: mode.quiet });
  try {
    if (connection.ephemeral) progress.line(`provider ${connection.label}: offline, images are test patterns`);
    progress.status(`submitting to ${endpoint.id} (${connection.label})`);
    // The submit is not aborted by Ctrl-C (its answer carries the id needed to cancel the job), only by --timeout.
    const handle = await submit(connection, endpoint, input, remainingMs(), timeoutSeconds);
    progress.line(`request ${handle.requestId}`);
    if (io.signal.aborted) return await cancelOnInterrupt(io, connection, endpoint, handle, progress);
    let result: { data: unknown; requestId: string };
    try {
      const timeout = remainingMs();
      result = await connection.queue.subscribe(handle, {
        signal: io.signal,
        mode: "streaming",
        logs: progress.enabled,
        onQueueUpdate: (status) => progress.queueUpdate(status),
        ...(timeout === undefined ? {} : { timeout }),
      });
    } catch (error) {
      if (error instanceof AbortError && io.signal.aborted) return await cancelOnInterrupt(io, connection, endpoint, handle, progress);
      if (error instanceof TimeoutError && !error.cancelConfirmed) {
        throw new CliError(`${error.message} From the command line: \`flux cancel ${handle.requestId} --endpoint ${endpoint.id}\`.`, ExitCode.timeout);
      }
      throw error;
    }
    progress.status(`downloading ${result.requestId}`);
    const left = remainingMs();
    const downloadSignal = left === undefined ? io.signal : AbortSignal.any([io.signal, AbortSignal.timeout(left)]);
    let saved: Awaited<ReturnType<typeof saveResult>>;
    try {
      saved = await saveResult({
        outDir: options.out ?? DEFAULT_OUT_DIR,
        requestId: result.requestId,
        endpointId: endpoint.id,
        output: result.data,
        signal: downloadSignal,
        maxImageBytes: maxImage,
      });
    } catch (error) {
      if (downloadSignal.aborted && !io.signal.aborted) {
        throw new CliError(
          `request ${result.requestId} completed, but its images were not downloaded within --timeout ${timeoutSeconds} s. Fetch them with \`flux result ${result.requestId} --endpoint ${endpoint.id}\`.`,
          ExitCode.timeout,
        );
      }
      throw error;
    }
    progress.stop();
    printResult(io, saved, mode, { elapsedMs: progress.elapsedMs(), provider: connection.label });
    return ExitCode.ok;
  } finally {
    progress.stop();
    await connection.close();
  }
}

async function submit(
  connection: Connection,
  endpoint: RegisteredEndpoint,
  input: Record<string, unknown>,
  timeoutMs: number | undefined,
  timeoutSeconds: number | undefined,
): Promise<QueueHandle> {
  const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
  try {
    return await connection.queue.submit(endpoint.endpoint, input, signal === undefined ? {} : { signal });
  } catch (error) {
    if (signal?.aborted === true) {
      const mayExist = error instanceof AbortError && error.jobMayExist;
      throw new CliError(
        `the submit to ${connection.label} did not answer within --timeout ${timeoutSeconds} s.${mayExist ? " A job may have been created, but its request id is unknown: check the provider before running again." : " Nothing was created."}`,
        ExitCode.timeout,
      );
    }
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
