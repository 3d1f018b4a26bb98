/**
 * `flux batch prompts.jsonl --endpoint <id> --concurrency N`: many jobs, bounded concurrency, and
 * a journal on disk. A re-run resumes: lines already accepted are followed by their request id
 * (never submitted again), finished lines are reported from the journal, the rest are submitted.
 */
import { randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import { AuthenticationError, ConnectionError, FluxkitError, JobFailedError, ValidationError } from "@fluxkit/queue";
import { type BatchLine, type InvalidLine, readBatchFile } from "../batch-input.js";
import type { CliIO } from "../cli-io.js";
import { saveResult } from "../downloads.js";
import { findEndpoint, type RegisteredEndpoint } from "../endpoints.js";
import { ExitCode, type ExitCodeValue, exitCodeFor, usageError } from "../exit-codes.js";
import { parseFlags } from "../flags.js";
import { Journal, JournalError, type JournalRecord, type LineState, lineStates } from "../journal.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, DEFAULT_OUT_DIR, HELP_OPTION, integerInRange, OUTPUT_OPTIONS, printedHelp } from "../options.js";
import { Progress } from "../progress.js";
import { type Connection, connect } from "../provider.js";
import { shortPath } from "../result-output.js";

const BATCH_OPTIONS = {
  ...CONNECTION_OPTIONS,
  ...OUTPUT_OPTIONS,
  ...HELP_OPTION,
  endpoint: { type: "string", short: "e" },
  concurrency: { type: "string", short: "c" },
  "skip-invalid": { type: "boolean" },
  "resubmit-unconfirmed": { type: "boolean" },
  redis: { type: "string" },
  name: { type: "string" },
  "webhook-url": { type: "string" },
} as const;

export const JOURNAL_FILE = "batch-journal.jsonl";
const DEFAULT_CONCURRENCY = 4;

export const BATCH_HELP = `Usage: flux batch <file.jsonl> --endpoint <endpoint> [options]

Runs one job per line of the file: a JSON input object ({"prompt": "a fox", "seed": 1}) or a
JSON string (the prompt). A relative image_url is read from the file's directory. Every line
is checked first; with a bad line nothing is submitted (exit 2) unless --skip-invalid.

Progress is journalled in <out>/${JOURNAL_FILE} (append-only, fsync'd). After a crash or
Ctrl-C, run the same command again: finished lines are reported, accepted lines are followed
by their request id (never submitted twice), the rest are submitted.

Options:
  --endpoint, -e <endpoint>   Endpoint id or slug (required)
  --concurrency, -c <n>       Jobs in flight at once, 1-64 (default ${DEFAULT_CONCURRENCY})
  --out, -o <dir>             Images, result JSON and the journal (default ./out)
  --json                      Print the report as one JSON document
  --quiet, -q                 No progress
  --skip-invalid              Run the valid lines and report the bad ones
  --resubmit-unconfirmed      Submit again lines whose submit may have been accepted but whose
                              answer was lost (a crash mid-submit): may create a second job
  --redis <url>               Enqueue on Redis for \`flux worker\` processes instead (below)
  --name <batch>              With --redis: the batch's name (required)
  --webhook-url <url>         With --redis: complete jobs by fal webhook at this address
                              (served by \`flux webhook-receiver\`) instead of polling
${CONNECTION_HELP}

With --redis, the batch runs on any number of machines:
  flux batch prompts.jsonl -e flux-lora --redis redis://host:6379 --name spring --provider fal
  flux worker --redis redis://host:6379 --provider fal -c 8     (on each machine)
  flux batch status spring --redis redis://host:6379           queued/running/done/failed, rate, ETA
  flux batch results spring --redis redis://host:6379 > results.jsonl
Each line becomes one job, named by the batch and the line number: enqueueing the same file
again adds nothing, runs again the failed lines that are safe to repeat, and resubmits
unconfirmed ones only with --resubmit-unconfirmed. See \`flux worker --help\`.

Outcomes (journal): done, failed (the job failed), rejected (the provider refused the submit; a re-run
tries again), unconfirmed (see --resubmit-unconfirmed), lost (accepted by a provider this run
does not reach, e.g. an earlier local emulator), running (interrupted; a re-run resumes),
pending (not submitted yet), error (following up failed; a re-run retries), invalid.
`;

type OutcomeStatus = "done" | "failed" | "rejected" | "unconfirmed" | "lost" | "running" | "pending" | "error" | "invalid";

export interface LineOutcome {
  readonly line: number;
  readonly status: OutcomeStatus;
  readonly request_id?: string;
  readonly files?: readonly string[];
  readonly error?: string;
  readonly note?: string;
  /** The exit code this outcome asks for, when it is not a success. */
  readonly exit?: ExitCodeValue;
}

type Task =
  | { readonly kind: "submit"; readonly line: BatchLine; readonly key: string }
  | { readonly kind: "follow"; readonly line: BatchLine; readonly requestId: string };

/** Only a refusal that certainly created no job may be submitted again. */
function certainlyNotCreated(error: unknown): boolean {
  if (error instanceof ValidationError) return true;
  if (error instanceof ConnectionError) return error.retryable;
  if (error instanceof FluxkitError && error.status !== undefined) return error.status >= 400 && error.status < 500;
  return false;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

class BatchRun {
  readonly outcomes = new Map<number, LineOutcome>();
  #stopReason: "interrupted" | "auth" | undefined;
  #running = 0;

  constructor(
    readonly io: CliIO,
    readonly endpoint: RegisteredEndpoint,
    readonly connection: Connection,
    readonly journal: Journal,
    readonly outDir: string,
    readonly progress: Progress,
    readonly total: number,
  ) {}

  get stopped(): boolean {
    return this.#stopReason !== undefined || this.io.signal.aborted;
  }

  record(outcome: LineOutcome): void {
    this.outcomes.set(outcome.line, outcome);
    const detail = outcome.request_id ?? "";
    this.progress.line(`line ${outcome.line}: ${outcome.status} ${detail}${outcome.error === undefined ? "" : ` ${outcome.error}`}`);
    this.#draw();
  }

  #draw(): void {
    const done = [...this.outcomes.values()].filter((o) => o.status === "done").length;
    const bad = [...this.outcomes.values()].filter((o) => o.status !== "done").length;
    this.progress.status(`batch ${this.endpoint.id}: ${done}/${this.total} done · ${this.#running} in flight · ${bad} not done`);
  }

  async runAll(tasks: readonly Task[], concurrency: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (!this.stopped && next < tasks.length) {
        const task = tasks[next++];
        if (task === undefined) break;
        this.#running++;
        this.#draw();
        try {
          if (task.kind === "submit") await this.#submitAndFollow(task.line, task.key);
          else await this.#follow(task.line, task.requestId);
        } finally {
          this.#running--;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
    for (const task of tasks) {
      if (this.outcomes.has(task.line.line)) continue;
      this.record(
        task.kind === "submit"
          ? { line: task.line.line, status: "pending", note: "not submitted: the batch stopped first; a re-run submits it" }
          : { line: task.line.line, status: "running", request_id: task.requestId, note: "not followed up: the batch stopped first; a re-run resumes it" },
      );
    }
  }

  async #submitAndFollow(line: BatchLine, key: string): Promise<void> {
    // Announced before sending: if the process dies mid-submit, the re-run knows a job may exist.
    await this.journal.append({ type: "submitting", line: line.line, key, hash: line.hash });
    let requestId: string;
    try {
      // No abort signal: once sent, the answer (the request id) must be heard and journalled.
      const handle = await this.connection.queue.submit(this.endpoint.endpoint, line.input, { headers: { "idempotency-key": key } });
      requestId = handle.requestId;
    } catch (error) {
      if (certainlyNotCreated(error)) {
        await this.journal.append({ type: "rejected", line: line.line, error: message(error) });
        if (error instanceof AuthenticationError) this.#stopReason = "auth";
        this.record({
          line: line.line,
          status: "rejected",
          error: message(error),
          exit: exitCodeFor(error),
          note: "no job was created; a re-run submits it again",
        });
      } else {
        this.record({
          line: line.line,
          status: "unconfirmed",
          error: message(error),
          exit: ExitCode.failure,
          note: "the submit may have been accepted; not resubmitted (see --resubmit-unconfirmed)",
        });
      }
      return;
    }
    await this.journal.append({ type: "submitted", line: line.line, request_id: requestId, provider: this.connection.identity });
    await this.#follow(line, requestId);
  }

  async #follow(line: BatchLine, requestId: string): Promise<void> {
    if (this.stopped) {
      this.record({ line: line.line, status: "running", request_id: requestId, note: "interrupted; a re-run resumes it" });
      return;
    }
    try {
      const result = await this.connection.queue.subscribe({ endpoint: this.endpoint.endpoint, requestId }, { signal: this.io.signal, mode: "streaming" });
      const saved = await saveResult({ outDir: this.outDir, requestId, endpointId: this.endpoint.id, output: result.data, signal: this.io.signal });
      const files = [...saved.images.map((i) => i.path), saved.jsonPath];
      await this.journal.append({ type: "done", line: line.line, request_id: requestId, files });
      this.record({ line: line.line, status: "done", request_id: requestId, files });
    } catch (error) {
      if (this.io.signal.aborted) {
        this.record({ line: line.line, status: "running", request_id: requestId, note: "interrupted; the job stays on the server and a re-run resumes it" });
      } else if (error instanceof JobFailedError) {
        await this.journal.append({ type: "failed", line: line.line, request_id: requestId, error: message(error) });
        this.record({ line: line.line, status: "failed", request_id: requestId, error: message(error), exit: ExitCode.failure });
      } else {
        if (error instanceof AuthenticationError) this.#stopReason = "auth";
        this.record({
          line: line.line,
          status: "error",
          request_id: requestId,
          error: message(error),
          exit: exitCodeFor(error),
          note: "a re-run follows it up again",
        });
      }
    }
  }
}

function checkHeader(records: readonly JournalRecord[], journalPath: string, file: string, endpoint: RegisteredEndpoint): string | undefined {
  const header = records.find((r) => r.type === "batch");
  if (header === undefined) return undefined;
  if (header.file !== file || header.endpoint !== endpoint.id) {
    throw usageError(
      `${shortPath(journalPath)} belongs to another batch (${shortPath(header.file)} on ${header.endpoint}). Use another --out for this one; delete that journal only if you accept resubmitting its lines.`,
    );
  }
  return header.batch_id;
}

/** What to do with each valid line, given what the journal says. */
function plan(lines: readonly BatchLine[], states: Map<number, LineState>, connection: Connection, batchId: string, resubmitUnconfirmed: boolean) {
  const follows: Task[] = [];
  const submits: Task[] = [];
  const settled: LineOutcome[] = [];
  for (const line of lines) {
    const state = states.get(line.line) ?? { state: "new" };
    const changed =
      "hash" in state && state.hash !== "" && state.hash !== line.hash ? "the line changed since it was submitted; its original job is what counts" : undefined;
    const note = (text: string | undefined) =>
      changed === undefined ? (text === undefined ? {} : { note: text }) : { note: text === undefined ? changed : `${text}; ${changed}` };
    switch (state.state) {
      case "done":
        settled.push({ line: line.line, status: "done", request_id: state.requestId, files: state.files, note: "finished in an earlier run" });
        break;
      case "failed":
        settled.push({
          line: line.line,
          status: "failed",
          request_id: state.requestId,
          error: state.error,
          exit: ExitCode.failure,
          note: "failed in an earlier run",
        });
        break;
      case "submitted":
        if (state.provider === connection.identity) follows.push({ kind: "follow", line, requestId: state.requestId });
        else {
          settled.push({
            line: line.line,
            status: "lost",
            request_id: state.requestId,
            exit: ExitCode.failure,
            ...note(
              state.provider.startsWith("local:")
                ? "accepted by the local emulator of an earlier run, whose jobs ended with it; not resubmitted"
                : `accepted by ${state.provider.replace(/^url:/, "")}, which this run does not use; re-run with that provider to follow it up`,
            ),
          });
        }
        break;
      case "unconfirmed":
        if (resubmitUnconfirmed) submits.push({ kind: "submit", line, key: state.key });
        else
          settled.push({
            line: line.line,
            status: "unconfirmed",
            exit: ExitCode.failure,
            ...note("an earlier run stopped during its submit, so a job may exist without a known id; not resubmitted (see --resubmit-unconfirmed)"),
          });
        break;
      default:
        submits.push({ kind: "submit", line, key: `fluxkit-batch-${batchId}-line-${line.line}-${line.hash.slice(0, 16)}` });
    }
  }
  return { tasks: [...follows, ...submits], settled };
}

function exitCodeOf(outcomes: readonly LineOutcome[], interrupted: boolean): number {
  if (interrupted) return ExitCode.interrupted;
  const codes = new Set(outcomes.map((o) => o.exit).filter((c): c is ExitCodeValue => c !== undefined));
  for (const code of [ExitCode.auth, ExitCode.timeout, ExitCode.failure, ExitCode.usage] as const) if (codes.has(code)) return code;
  return codes.size > 0 ? ExitCode.failure : ExitCode.ok;
}

function report(io: CliIO, outcomes: readonly LineOutcome[], journalPath: string, json: boolean): void {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  const summary = Object.fromEntries(counts);
  if (json) {
    io.stdout.write(`${JSON.stringify({ journal: journalPath, summary, lines: outcomes.map(({ exit: _exit, ...rest }) => rest) }, null, 2)}\n`);
    return;
  }
  for (const o of outcomes) {
    const what = o.status === "done" ? (o.files ?? []).map(shortPath).join(" ") : [o.error, o.note].filter(Boolean).join("; ");
    io.stdout.write(`line ${String(o.line).padEnd(5)} ${o.status.padEnd(11)} ${o.request_id ?? "-"}  ${what}\n`);
  }
  const parts = [...counts].map(([status, n]) => `${n} ${status}`).join(", ");
  io.stdout.write(`${outcomes.length} line${outcomes.length === 1 ? "" : "s"}: ${parts} · journal ${shortPath(journalPath)}\n`);
  if (outcomes.some((o) => o.status === "running" || o.status === "pending" || o.status === "error" || o.status === "rejected")) {
    io.stdout.write("Run the same command again to resume.\n");
  }
}

export async function batchCommand(argv: readonly string[], io: CliIO): Promise<number> {
  if (printedHelp(argv, io.stdout, BATCH_HELP)) return ExitCode.ok;
  const { options, positionals } = parseFlags([], [...argv], BATCH_OPTIONS);
  if (options.redis !== undefined) return batchOnRedis(positionals, options, io);
  if (positionals[0] === "status" || positionals[0] === "results") {
    throw usageError(
      `flux batch ${positionals[0]} is for batches on Redis: add --redis <url>. A journal batch reports every line when you run the same \`flux batch <file>\` command again.`,
    );
  }
  for (const flag of ["name", "webhook-url"] as const) {
    if (options[flag] !== undefined) throw usageError(`--${flag} applies to batches on Redis: add --redis <url>, or leave it out for a journal batch.`);
  }
  const [fileArg, ...extra] = positionals;
  if (fileArg === undefined) throw usageError("flux batch: which file? e.g. `flux batch prompts.jsonl --endpoint flux-lora` (one JSON input per line).");
  if (extra.length > 0) throw usageError(`flux batch: one file at a time (also got ${extra.map((e) => `"${e}"`).join(" ")}).`);
  const endpoint = findEndpoint(options.endpoint, "flux batch --endpoint");
  const concurrency = integerInRange(options.concurrency, "--concurrency", 1, 64, DEFAULT_CONCURRENCY);
  const file = resolve(fileArg);

  const { lines, invalid } = await readBatchFile(file, endpoint);
  if (invalid.length > 0 && options["skip-invalid"] !== true) {
    throw usageError(
      `${shortPath(file)} has ${invalid.length} bad line${invalid.length === 1 ? "" : "s"}; nothing was submitted:\n${invalid.map((i) => `  line ${i.line}: ${i.problem}`).join("\n")}\nFix them, or pass --skip-invalid to run the others.`,
    );
  }
  const outDir = resolve(options.out ?? DEFAULT_OUT_DIR);
  const journalPath = join(outDir, JOURNAL_FILE);
  let opened: Awaited<ReturnType<typeof Journal.open>>;
  try {
    opened = await Journal.open(journalPath);
  } catch (error) {
    if (error instanceof JournalError) throw usageError(error.message);
    throw usageError(`--out ${options.out ?? DEFAULT_OUT_DIR}: cannot open the journal ${journalPath} (${message(error)}).`);
  }
  const { journal, records } = opened;
  try {
    let batchId = checkHeader(records, journalPath, file, endpoint);
    const connection = await connect({ provider: options.provider, baseUrl: options["base-url"] }, io.env, endpoint);
    const progress = new Progress(io.stderr, { quiet: options.quiet === true });
    try {
      if (batchId === undefined) {
        batchId = randomUUID();
        await journal.append({ type: "batch", version: 1, batch_id: batchId, file, endpoint: endpoint.id });
      }
      const { tasks, settled } = plan(lines, lineStates(records), connection, batchId, options["resubmit-unconfirmed"] === true);
      const run = new BatchRun(io, endpoint, connection, journal, outDir, progress, lines.length + invalid.length);
      for (const s of settled) run.outcomes.set(s.line, s);
      for (const i of invalid) run.outcomes.set(i.line, invalidOutcome(i));
      await run.runAll(tasks, concurrency);
      progress.stop();
      const outcomes = [...run.outcomes.values()].sort((a, b) => a.line - b.line);
      report(io, outcomes, journalPath, options.json === true);
      return exitCodeOf(outcomes, io.signal.aborted);
    } finally {
      progress.stop();
      await connection.close();
    }
  } finally {
    await journal.close();
  }
}

type BatchFlags = ReturnType<typeof parseFlags<typeof BATCH_OPTIONS>>["options"];

/** `--redis`: the fleet mode, loaded on demand so a journal batch never loads BullMQ. */
async function batchOnRedis(positionals: readonly string[], options: BatchFlags, io: CliIO): Promise<number> {
  for (const flag of ["concurrency", "out"] as const) {
    if (options[flag] !== undefined) {
      throw usageError(`--${flag} with --redis: workers run the jobs, so give it to \`flux worker\` (e.g. flux worker --redis … --${flag} …).`);
    }
  }
  const { redisBatchCommand } = await import("./batch-redis.js");
  return redisBatchCommand(
    positionals,
    {
      redis: options.redis ?? "",
      name: options.name,
      endpoint: options.endpoint,
      provider: options.provider,
      baseUrl: options["base-url"],
      webhookUrl: options["webhook-url"],
      skipInvalid: options["skip-invalid"] === true,
      resubmitUnconfirmed: options["resubmit-unconfirmed"] === true,
      json: options.json === true,
      quiet: options.quiet === true,
    },
    io,
  );
}

function invalidOutcome(i: InvalidLine): LineOutcome {
  return { line: i.line, status: "invalid", error: i.problem, exit: ExitCode.usage };
}
