/**
 * `flux batch … --redis <url>`: the batch on BullMQ and Redis, for workers on many machines.
 * Loaded only when --redis is given, so the default (journal) batch never loads BullMQ.
 *
 *   flux batch <file.jsonl> -e <endpoint> --redis <url> --name <batch>   enqueue (idempotent)
 *   flux batch status <batch> --redis <url>                              progress, rate, ETA
 *   flux batch results <batch> --redis <url>                             one JSON line per input line
 */
import { resolve } from "node:path";
import {
  batchResults,
  batchStatus,
  checkBatchName,
  connectRedis,
  describeRateLimit,
  enqueueBatch,
  FleetError,
  type LineReport,
  redactRedisUrl,
  type RedisConnection,
  RedisUnreachableError,
} from "@fluxkit/fleet";
import { readBatchFile } from "../batch-input.js";
import type { CliIO } from "../cli-io.js";
import { findEndpoint } from "../endpoints.js";
import { CliError, ExitCode, usageError } from "../exit-codes.js";
import { sharedProviderIdentity } from "../provider.js";
import { shortPath } from "../result-output.js";

export interface RedisBatchOptions {
  readonly redis: string;
  readonly name?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly provider?: string | undefined;
  readonly baseUrl?: string | undefined;
  readonly webhookUrl?: string | undefined;
  readonly skipInvalid: boolean;
  readonly resubmitUnconfirmed: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
}

/** Fleet errors are the user's to fix (exit 2); an unreachable Redis is a failure of a service (exit 4). */
function asCliError(error: unknown): unknown {
  if (error instanceof RedisUnreachableError) return new CliError(error.message, ExitCode.failure);
  if (error instanceof FleetError) return usageError(error.message);
  return error;
}

export async function withRedis<T>(url: string, task: (redis: RedisConnection) => Promise<T>, longRunning = false): Promise<T> {
  let redis: RedisConnection;
  try {
    redis = await connectRedis(url, { longRunning });
  } catch (error) {
    throw asCliError(error);
  }
  try {
    return await task(redis);
  } catch (error) {
    throw asCliError(error);
  } finally {
    redis.disconnect();
  }
}

export async function redisBatchCommand(positionals: readonly string[], options: RedisBatchOptions, io: CliIO): Promise<number> {
  const [first, second, ...rest] = positionals;
  if ((first === "status" || first === "results") && second !== undefined) {
    if (rest.length > 0) throw usageError(`flux batch ${first}: one batch name (also got ${rest.map((r) => `"${r}"`).join(" ")}).`);
    const name = checkName(second);
    return first === "status" ? status(name, options, io) : results(name, options, io);
  }
  if (first === undefined)
    throw usageError("flux batch --redis: which file? e.g. `flux batch prompts.jsonl -e flux-lora --redis redis://host:6379 --name spring`.");
  if (second !== undefined) throw usageError(`flux batch: one file at a time (also got ${[second, ...rest].map((e) => `"${e}"`).join(" ")}).`);
  return enqueue(first, options, io);
}

function checkName(name: string | undefined): string {
  try {
    return checkBatchName(name);
  } catch (error) {
    throw asCliError(error);
  }
}

function checkWebhookUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usageError(
      `--webhook-url: "${value}" is not an absolute URL. Give the public address of \`flux webhook-receiver\`, e.g. https://hooks.example.com/fal.`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw usageError(`--webhook-url: "${value}" must be an http(s) URL.`);
  return url.href;
}

async function enqueue(fileArg: string, options: RedisBatchOptions, io: CliIO): Promise<number> {
  const name = checkName(options.name);
  const endpoint = findEndpoint(options.endpoint, "flux batch --endpoint");
  const provider = sharedProviderIdentity({ provider: options.provider, baseUrl: options.baseUrl }, io.env, endpoint);
  const webhookUrl = checkWebhookUrl(options.webhookUrl);
  const file = resolve(fileArg);
  const { lines, invalid } = await readBatchFile(file, endpoint);
  if (invalid.length > 0 && !options.skipInvalid) {
    throw usageError(
      `${shortPath(file)} has ${invalid.length} bad line${invalid.length === 1 ? "" : "s"}; nothing was enqueued:\n${invalid.map((i) => `  line ${i.line}: ${i.problem}`).join("\n")}\nFix them, or pass --skip-invalid to enqueue the others.`,
    );
  }
  const report = await withRedis(options.redis, (redis) =>
    enqueueBatch(redis, {
      name,
      file,
      endpoint: endpoint.id,
      provider,
      lines,
      invalid,
      webhookUrl,
      resubmitUnconfirmed: options.resubmitUnconfirmed,
    }),
  );
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ ...report, invalid }, null, 2)}\n`);
  } else {
    const shown = redactRedisUrl(options.redis);
    io.stdout.write(
      `batch ${name}: ${report.added} line${report.added === 1 ? "" : "s"} enqueued, ${report.already} already enqueued (queue ${report.queue} on ${shown})\n`,
    );
    if (report.rerun.length > 0) io.stdout.write(`  run again (failed, safe to repeat): lines ${report.rerun.join(", ")}\n`);
    if (report.resubmitted.length > 0) io.stdout.write(`  submitted again as asked (--resubmit-unconfirmed): lines ${report.resubmitted.join(", ")}\n`);
    if (invalid.length > 0) io.stdout.write(`  skipped as invalid: lines ${invalid.map((i) => i.line).join(", ")}\n`);
    const providerFlag = provider.startsWith("url:") ? `--base-url ${provider.slice(4)}` : `--provider ${provider}`;
    io.stdout.write(`  workers: flux worker --redis ${shown} ${providerFlag}\n  progress: flux batch status ${name} --redis ${shown}\n`);
  }
  if (report.changed.length > 0) {
    io.stderr.write(
      `flux batch: lines ${report.changed.join(", ")} differ from the text enqueued earlier under this batch name; the enqueued text is what runs. Use another --name to run the new text.\n`,
    );
  }
  if (report.unconfirmed.length > 0) {
    io.stderr.write(
      `flux batch: lines ${report.unconfirmed.join(", ")} are unconfirmed (a submit that may have created a job without a known request id); not resubmitted. Add --resubmit-unconfirmed to submit them anyway (a second job may be created).\n`,
    );
  }
  return ExitCode.ok;
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

async function status(name: string, options: RedisBatchOptions, io: CliIO): Promise<number> {
  const s = await withRedis(options.redis, (redis) => batchStatus(redis, name));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
    return ExitCode.ok;
  }
  const c = s.counts;
  const parts = [`queued ${c.queued}`, `running ${c.running}`, `done ${c.done}`, `failed ${c.failed}`];
  if (c.invalid > 0) parts.push(`invalid ${c.invalid}`);
  if (c.missing > 0) parts.push(`not enqueued ${c.missing}`);
  const eta = s.eta_seconds === undefined ? "ETA unknown (nothing finished in the last minute)" : `ETA ${formatSeconds(s.eta_seconds)}`;
  const limit = describeRateLimit(s.rate_limit === undefined ? undefined : { max: s.rate_limit.max, durationMs: s.rate_limit.duration_ms });
  io.stdout.write(
    `batch ${s.name}: ${s.lines} lines of ${shortPath(s.file)} on ${s.endpoint} via ${s.provider.replace(/^url:/, "")}\n` +
      `  ${parts.join(" · ")}\n` +
      `  ${s.rate_per_second.toFixed(2)} lines/s over the last minute · ${eta}\n` +
      `  queue ${s.queue}: ${s.workers} worker${s.workers === 1 ? "" : "s"} connected · ${limit}\n`,
  );
  return ExitCode.ok;
}

async function results(name: string, options: RedisBatchOptions, io: CliIO): Promise<number> {
  const counts = new Map<string, number>();
  await withRedis(options.redis, async (redis) => {
    for await (const report of batchResults(redis, name)) {
      counts.set(report.status, (counts.get(report.status) ?? 0) + 1);
      io.stdout.write(`${JSON.stringify(report satisfies LineReport)}\n`);
    }
  });
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (!options.quiet) {
    io.stderr.write(`batch ${name}: ${total} lines: ${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")}\n`);
  }
  return total === (counts.get("done") ?? 0) ? ExitCode.ok : ExitCode.failure;
}
