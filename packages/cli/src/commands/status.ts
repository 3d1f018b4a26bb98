/** `flux status <request-id> --endpoint <id>`: the job's queue status (and logs with --logs). */
import type { CliIO } from "../cli-io.js";
import { ExitCode } from "../exit-codes.js";
import { printedHelp } from "../options.js";
import { describeStatus } from "../progress.js";
import { followUpHelp, parseFollowUp } from "./follow-up.js";

export const STATUS_HELP = followUpHelp(
  "status",
  "Shows whether the job is queued (and where), running, or completed.",
  "  --logs                      Include the job's log lines\n  --json                      Print the status as JSON\n",
);

export async function statusCommand(argv: readonly string[], io: CliIO): Promise<number> {
  if (printedHelp(argv, io.stdout, STATUS_HELP)) return ExitCode.ok;
  const { requestId, endpoint, options, connection } = await parseFollowUp("status", argv, { logs: { type: "boolean" }, json: { type: "boolean" } }, io);
  try {
    const status = await connection.queue.status({ endpoint: endpoint.endpoint, requestId }, { logs: options.logs === true, signal: io.signal });
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ request_id: requestId, ...status }, null, 2)}\n`);
    } else {
      const detail =
        status.status === "IN_QUEUE" && status.queue_position !== undefined
          ? ` (position ${status.queue_position})`
          : status.status === "COMPLETED" && describeStatus(status) !== "completed"
            ? ` (${describeStatus(status)})`
            : "";
      io.stdout.write(`${requestId}: ${status.status}${detail}\n`);
      for (const log of status.logs) io.stdout.write(`  ${log.message}\n`);
    }
    return ExitCode.ok;
  } finally {
    await connection.close();
  }
}
