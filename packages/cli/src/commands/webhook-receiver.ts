/**
 * `flux webhook-receiver --redis <url> --port <n>`: receives fal's webhook deliveries for
 * batches enqueued with --webhook-url, verifies each one, and hands it to its job.
 */
import { type DeliveryOutcome, startWebhookReceiver } from "@fluxkit/fleet";
import { createWebhookVerifier, FAL_WEBHOOK_JWKS_URL } from "@fluxkit/queue";
import type { CliIO } from "../cli-io.js";
import { ExitCode, usageError } from "../exit-codes.js";
import { parseFlags } from "../flags.js";
import { expectNoPositionals, HELP_OPTION, integerInRange, printedHelp } from "../options.js";
import { stopSignal } from "../stop-signal.js";
import { withRedis } from "./batch-redis.js";

const RECEIVER_OPTIONS = {
  ...HELP_OPTION,
  redis: { type: "string" },
  port: { type: "string", short: "p" },
  host: { type: "string" },
  "jwks-url": { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

export const WEBHOOK_RECEIVER_HELP = `Usage: flux webhook-receiver --redis <url> [--port <n>] [--host <addr>] [options]

Receives the webhook deliveries of batches enqueued with --webhook-url (jobs are submitted
with fal_webhook=<that url>; put this server, or a proxy to it, at that address). Each
delivery is verified (ED25519 signature with fal's published keys, timestamp within ±300 s)
and handed to its job; the worker holding the job completes it without polling.

  forged or stale delivery                          refused (401; 400 if malformed)
  unknown request id, finished job, duplicate       acknowledged (200) and ignored
  (fal delivers up to 10 times, so a receiver must be idempotent by request id)

Options:
  --redis <url>         The Redis of the batches
  --port, -p <n>        Port to listen on (default 0: a free one, printed at start)
  --host <addr>         Interface (default 127.0.0.1; 0.0.0.0 to accept other machines)
  --jwks-url <url>      Signing keys (default ${FAL_WEBHOOK_JWKS_URL})
  --quiet, -q           Only errors

Prints one line per delivery: accepted, ignored (why) or refused (why). Needs no provider
token. Ctrl-C stops it.
`;

function describe(outcome: DeliveryOutcome): string {
  switch (outcome.outcome) {
    case "accepted":
      return `accepted ${outcome.requestId} (job ${outcome.job})`;
    case "ignored":
      return `ignored ${outcome.requestId}: ${outcome.reason}`;
    case "refused":
      return `refused (${outcome.status}): ${outcome.reason}`;
  }
}

export async function webhookReceiverCommand(argv: readonly string[], io: CliIO): Promise<number> {
  if (printedHelp(argv, io.stdout, WEBHOOK_RECEIVER_HELP)) return ExitCode.ok;
  const { options, positionals } = parseFlags([], [...argv], RECEIVER_OPTIONS);
  expectNoPositionals(positionals, "webhook-receiver");
  if (options.redis === undefined) throw usageError("flux webhook-receiver: --redis <url> is required, e.g. --redis redis://127.0.0.1:6379.");
  const port = integerInRange(options.port, "--port", 0, 65_535, 0);
  const jwksUrl = options["jwks-url"] ?? FAL_WEBHOOK_JWKS_URL;
  try {
    const url = new URL(jwksUrl);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw usageError(`--jwks-url: "${jwksUrl}" is not an http(s) URL.`);
  }
  const quiet = options.quiet === true;
  return withRedis(
    options.redis,
    async (redis) => {
      let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
      try {
        receiver = await startWebhookReceiver({
          redis,
          verifier: createWebhookVerifier({ jwksUrl }),
          port,
          host: options.host ?? "127.0.0.1",
          onDelivery: (outcome) => {
            if (!quiet) io.stdout.write(`${describe(outcome)}\n`);
          },
          onError: (error) => io.stderr.write(`flux webhook-receiver: ${error instanceof Error ? error.message : String(error)}\n`),
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EADDRINUSE") throw usageError(`--port ${port}: the port is already in use; pick another or --port 0 for a free one.`);
        if (code === "EACCES") throw usageError(`--port ${port}: permission denied; use a port above 1023.`);
        if (code === "EADDRNOTAVAIL") throw usageError(`--host ${options.host ?? ""}: not an address of this machine.`);
        throw error;
      }
      io.stdout.write(`flux webhook-receiver listening on ${receiver.url}\n`);
      const stop = stopSignal(io);
      const how = await stop.stopped;
      stop.dispose();
      await receiver.close();
      io.stdout.write("flux webhook-receiver stopped\n");
      return how === "terminate" ? ExitCode.ok : ExitCode.interrupted;
    },
    true,
  );
}
