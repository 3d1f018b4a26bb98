/** `flux result <request-id> --endpoint <id>`: fetch a finished job's output and save it like `flux run` does. */
import type { CliIO } from "../cli-io.js";
import { saveResult } from "../downloads.js";
import { ExitCode } from "../exit-codes.js";
import { DEFAULT_OUT_DIR, DOWNLOAD_HELP, DOWNLOAD_OPTIONS, OUTPUT_HELP, OUTPUT_OPTIONS, maxImageBytes, printedHelp } from "../options.js";
import { printResult } from "../result-output.js";
import { followUpHelp, parseFollowUp } from "./follow-up.js";

export const RESULT_HELP = followUpHelp(
  "result",
  "Fetches the output of a completed job, downloads its images to --out and writes <request-id>.json beside them.",
  `${OUTPUT_HELP}\n${DOWNLOAD_HELP}\n`,
);

export async function resultCommand(argv: readonly string[], io: CliIO): Promise<number> {
  if (printedHelp(argv, io.stdout, RESULT_HELP)) return ExitCode.ok;
  const { requestId, endpoint, options, connection } = await parseFollowUp("result", argv, { ...OUTPUT_OPTIONS, ...DOWNLOAD_OPTIONS }, io);
  try {
    const maxImage = maxImageBytes(typeof options["max-image-mb"] === "string" ? options["max-image-mb"] : undefined);
    const result = await connection.queue.result({ endpoint: endpoint.endpoint, requestId }, { signal: io.signal });
    const saved = await saveResult({
      outDir: options.out ?? DEFAULT_OUT_DIR,
      requestId,
      endpointId: endpoint.id,
      output: result.data,
      signal: io.signal,
      maxImageBytes: maxImage,
    });
    printResult(io, saved, { json: options.json === true, quiet: options.quiet === true }, { provider: connection.label });
    return ExitCode.ok;
  } finally {
    await connection.close();
  }
}
