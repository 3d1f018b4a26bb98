/** `flux cancel <request-id> --endpoint <id>`: ask the provider to stop a job. */
import type { CliIO } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { printedHelp } from "../options.js";
import { followUpHelp, parseFollowUp } from "./follow-up.js";

export const CANCEL_HELP = followUpHelp(
  "cancel",
  "Cancels a queued or running job. Prints CANCELLATION_REQUESTED, or ALREADY_COMPLETED when it had finished (both exit 0).",
  "  --json                      Print {request_id, status} as JSON\n",
);

export async function cancelCommand(argv: readonly string[], io: CliIO): Promise<number> {
  if (printedHelp(argv, io.stdout, CANCEL_HELP)) return ExitCode.ok;
  const { requestId, endpoint, options, connection } = await parseFollowUp("cancel", argv, { json: { type: "boolean" } }, io);
  try {
    const outcome = await connection.queue.cancel({ endpoint: endpoint.endpoint, requestId }, { signal: io.signal });
    io.stdout.write(options.json === true ? `${JSON.stringify({ request_id: requestId, status: outcome })}\n` : `${requestId}: ${outcome}\n`);
    return ExitCode.ok;
  } finally {
    await connection.close();
  }
}
