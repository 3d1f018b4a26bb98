/** `flux status <request-id> --endpoint <id>`: the job's queue status (and logs with --logs). */
import { describeStatus } from "../progress.js";
import { followUpCommand } from "./follow-up.js";

export const statusCommand = followUpCommand({
  name: "status",
  summary: "Shows whether the job is queued (and where), running, or completed.",
  optionsHelp: "  --logs                      Include the job's log lines\n  --json                      Print the status as JSON\n",
  options: { logs: { type: "boolean" }, json: { type: "boolean" } },
  act: async ({ requestId, endpoint, options, connection }, io) => {
    const status = await connection.queue.status({ endpoint: endpoint.endpoint, requestId }, { logs: options.logs === true, signal: io.signal });
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ request_id: requestId, ...status }, null, 2)}\n`);
      return;
    }
    const detail =
      status.status === "IN_QUEUE" && status.queue_position !== undefined
        ? ` (position ${status.queue_position})`
        : status.status === "COMPLETED" && describeStatus(status) !== "completed"
          ? ` (${describeStatus(status)})`
          : "";
    io.stdout.write(`${requestId}: ${status.status}${detail}\n`);
    for (const log of status.logs) io.stdout.write(`  ${log.message}\n`);
  },
});
