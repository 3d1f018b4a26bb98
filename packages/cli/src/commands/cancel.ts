/** `flux cancel <request-id> --endpoint <id>`: ask the provider to stop a job. */
import { followUpCommand } from "./follow-up.js";

export const cancelCommand = followUpCommand({
  name: "cancel",
  summary: "Cancels a queued or running job. Prints CANCELLATION_REQUESTED, or ALREADY_COMPLETED when it had finished (both exit 0).",
  optionsHelp: "  --json                      Print {request_id, status} as JSON\n",
  options: { json: { type: "boolean" } },
  act: async ({ requestId, endpoint, options, connection }, io) => {
    const outcome = await connection.queue.cancel({ endpoint: endpoint.endpoint, requestId }, { signal: io.signal });
    io.stdout.write(options.json === true ? `${JSON.stringify({ request_id: requestId, status: outcome })}\n` : `${requestId}: ${outcome}\n`);
  },
});
