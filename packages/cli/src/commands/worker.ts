/**
 * `flux worker --redis <url> --provider <p> --concurrency N`: runs the lines of every batch
 * enqueued on Redis for that provider, on this machine, until Ctrl-C (which drains: jobs in
 * hand go back to the queue with their request ids, for any worker to resume).
 */
import { describeRateLimit, FleetWorker, parseRateLimit, queueNameFor, setRateLimit, type RateLimit, type WorkerEvent, getRateLimit } from "@fluxkit/fleet";
import { resolve } from "node:path";
import type { CliIO } from "../cli-io.js";
import { saveResult } from "../downloads.js";
import { ENDPOINTS } from "../endpoints.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { parseFlags } from "../flags.js";
import { CONNECTION_HELP, DEFAULT_OUT_DIR, expectNoPositionals, HELP_OPTION, integerInRange, positiveNumber, printedHelp } from "../options.js";
import { connect, sharedProviderIdentity } from "../provider.js";
import { shortPath } from "../result-output.js";
import { stopSignal } from "../stop-signal.js";
import { withRedis } from "./batch-redis.js";

const WORKER_OPTIONS = {
  ...HELP_OPTION,
  redis: { type: "string" },
  provider: { type: "string" },
  "base-url": { type: "string" },
  concurrency: { type: "string", short: "c" },
  out: { type: "string", short: "o" },
  rate: { type: "string" },
  "lock-duration": { type: "string" },
  "stalled-interval": { type: "string" },
  "webhook-fallback": { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

const DEFAULT_CONCURRENCY = 4;

export const WORKER_HELP = `Usage: flux worker --redis <url> (--provider <p> | --base-url <url>) [options]

Runs the lines of every batch enqueued with \`flux batch <file> --redis … --name …\` for that
provider. Start one on each machine, as many as you like: they share the queue, one rate
limit, and the work of any worker that stops. The token comes from this machine's
environment and never goes to Redis.

A line is never submitted twice: the worker records "about to submit" before it submits and
the request id as soon as it has one. A job taken over from a stopped worker is followed up
by its request id; one that stopped between the two records fails as unconfirmed (enqueue the
batch again with --resubmit-unconfirmed to submit it anyway).

Options:
  --redis <url>               redis://[user:password@]host:6379[/db] (rediss:// for TLS)
  --concurrency, -c <n>       Jobs in hand at once, 1-1000 (default ${DEFAULT_CONCURRENCY}). With webhooks a job
                              waiting for its delivery costs no request: raise it freely.
  --out, -o <dir>             Where images and result JSON go (default ./out); a shared
                              directory if results should be in one place
  --rate <n>/<time>           The provider's shared limit on jobs started, for every worker
                              of this provider: 10/s, 600/min, 5/500ms; "off" removes it.
                              Kept in Redis: set it once, any worker may change it. Windows
                              are fixed: for a limit per sliding second, use a shorter window
                              (5/500ms rather than 10/s).
  --lock-duration <s>         A job's lock without renewal (default 30): how soon the jobs of
                              a crashed worker are taken over
  --stalled-interval <s>      How often workers look for such jobs (default 30)
  --webhook-fallback <s>      With webhooks: how long to wait for a delivery before asking
                              the provider (default 900)
  --quiet, -q                 Only errors
${CONNECTION_HELP.replace(/--provider <local\|chainhub\|kkiai\|fal>[\s\S]*?--base-url <url>/, "--provider <chainhub|kkiai|fal>\n      Where jobs run (required unless --base-url or FLUXKIT_PROVIDER).\n  --base-url <url>")}

Prints one line per event (submitted, resumed, done, failed, handed back). Ctrl-C drains:
jobs in hand go back to the queue, a submit in flight is answered and recorded first (exit
130); a second Ctrl-C quits at once (the jobs are taken over after --lock-duration).
`;

function seconds(value: string | undefined, flag: string): number | undefined {
  const n = positiveNumber(value, flag);
  return n === undefined ? undefined : Math.round(n * 1000);
}

function eventLine(event: WorkerEvent): string {
  switch (event.kind) {
    case "submitted":
    case "resumed":
      return `${event.batch} line ${event.line}: ${event.kind} ${event.requestId}`;
    case "done":
      return `${event.batch} line ${event.line}: done ${event.requestId} ${(event.detail ?? "").split(" ").map(shortPath).join(" ")}`;
    case "failed":
    case "retrying":
      return `${event.batch} line ${event.line}: ${event.kind === "failed" ? "failed" : "will retry"} ${event.error.name}: ${event.error.message}`;
    case "handed-back":
      return `${event.batch} line ${event.line}: handed back${event.requestId === undefined ? "" : ` (request ${event.requestId} on record)`}`;
    case "webhook-fallback":
      return `${event.batch} line ${event.line}: no webhook delivery for ${event.requestId} in time; asking the provider`;
    case "error":
      return `error: ${event.message}`;
  }
}

export async function workerCommand(argv: readonly string[], io: CliIO): Promise<number> {
  if (printedHelp(argv, io.stdout, WORKER_HELP)) return ExitCode.ok;
  const { options, positionals } = parseFlags([], [...argv], WORKER_OPTIONS);
  expectNoPositionals(positionals, "worker");
  if (options.redis === undefined) throw usageError("flux worker: --redis <url> is required, e.g. --redis redis://127.0.0.1:6379.");
  const concurrency = integerInRange(options.concurrency, "--concurrency", 1, 1000, DEFAULT_CONCURRENCY);
  const lockDurationMs = seconds(options["lock-duration"], "--lock-duration");
  const stalledIntervalMs = seconds(options["stalled-interval"], "--stalled-interval");
  const webhookFallbackMs = seconds(options["webhook-fallback"], "--webhook-fallback");
  let rate: RateLimit | "off" | undefined;
  try {
    rate = options.rate === undefined ? undefined : parseRateLimit(options.rate);
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const flags = { provider: options.provider, baseUrl: options["base-url"] };
  const provider = sharedProviderIdentity(flags, io.env, undefined);
  const connection = await connect(flags, io.env, undefined);
  const outDir = resolve(options.out ?? DEFAULT_OUT_DIR);
  const quiet = options.quiet === true;
  const say = (line: string) => {
    if (!quiet) io.stdout.write(`${line}\n`);
  };

  try {
    return await withRedis(
      options.redis,
      async (redis) => {
        const limit = rate === undefined ? await getRateLimit(redis, provider) : await setRateLimit(redis, provider, rate);
        const worker = new FleetWorker({
          redis,
          provider,
          client: connection.queue,
          resolveEndpoint: (id) => ENDPOINTS.find((e) => e.id === id)?.endpoint,
          saveOutput: async ({ requestId, endpointId, output, signal }) => {
            const saved = await saveResult({ outDir, requestId, endpointId, output, signal });
            return [...saved.images.map((i) => i.path), saved.jsonPath];
          },
          concurrency,
          ...(lockDurationMs === undefined ? {} : { lockDurationMs }),
          ...(stalledIntervalMs === undefined ? {} : { stalledIntervalMs }),
          ...(webhookFallbackMs === undefined ? {} : { webhookFallbackMs }),
          onEvent: (event) => {
            if (event.kind === "error") io.stderr.write(`flux worker: ${eventLine(event)}\n`);
            else say(eventLine(event));
          },
        });
        const stop = stopSignal(io);
        let how: "interrupt" | "terminate" | undefined;
        void stop.stopped.then((h) => {
          how = h;
          void worker.drain();
        });
        try {
          worker.start();
          await worker.waitUntilReady();
          say(
            `flux worker: serving queue ${queueNameFor(provider)} (${connection.label}), concurrency ${concurrency}, ${describeRateLimit(limit)}; images to ${shortPath(outDir)}`,
          );
          const reason = await worker.stopped;
          if (reason === "auth") {
            const message = worker.authError instanceof Error ? worker.authError.message : String(worker.authError);
            throw new CliError(`flux worker: the provider refused the token (${message}); the jobs in hand went back to the queue.`, ExitCode.auth);
          }
          say("flux worker: drained; jobs in hand went back to the queue");
          return how === "terminate" ? ExitCode.ok : ExitCode.interrupted;
        } finally {
          stop.dispose();
          await worker.drain();
        }
      },
      true,
    );
  } finally {
    await connection.close();
  }
}
