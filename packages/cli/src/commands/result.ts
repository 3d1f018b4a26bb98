/** `flux result <request-id> --endpoint <id>`: fetch a finished job's output and save it like `flux run` does. */
import { saveResult } from "../downloads.js";
import { DEFAULT_OUT_DIR, DOWNLOAD_HELP, DOWNLOAD_OPTIONS, OUTPUT_HELP, OUTPUT_OPTIONS, maxImageBytes } from "../options.js";
import { printResult } from "../result-output.js";
import { followUpCommand } from "./follow-up.js";

export const resultCommand = followUpCommand({
  name: "result",
  summary: "Fetches the output of a completed job, downloads its images to --out and writes <request-id>.json beside them.",
  optionsHelp: `${OUTPUT_HELP}\n${DOWNLOAD_HELP}\n`,
  options: { ...OUTPUT_OPTIONS, ...DOWNLOAD_OPTIONS },
  act: async ({ requestId, endpoint, options, connection }, io) => {
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
  },
});
