/**
 * The batch journal (`<out>/batch-journal.jsonl`): append-only, one JSON record per line, each
 * fsync'd before the work it announces goes on. A crash or Ctrl-C loses nothing: re-reading it
 * tells, per input line, whether the submit was refused, possibly accepted, accepted under a
 * request id, or finished.
 */
import { mkdir, open, readFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

export type JournalRecord =
  | { readonly type: "batch"; readonly version: 1; readonly batch_id: string; readonly file: string; readonly endpoint: string; readonly at: string }
  /** About to send the submit of `line`; no request id yet. */
  | { readonly type: "submitting"; readonly line: number; readonly key: string; readonly hash: string; readonly at: string }
  /** The submit was accepted: from now on the line is followed by `request_id`, never resubmitted. */
  | { readonly type: "submitted"; readonly line: number; readonly request_id: string; readonly provider: string; readonly at: string }
  /** The submit was refused and certainly created no job: a re-run submits the line again. */
  | { readonly type: "rejected"; readonly line: number; readonly error: string; readonly at: string }
  | { readonly type: "done"; readonly line: number; readonly request_id: string; readonly files: readonly string[]; readonly at: string }
  /** The job ran and failed: final. */
  | { readonly type: "failed"; readonly line: number; readonly request_id: string; readonly error: string; readonly at: string };

type Body<T> = T extends unknown ? Omit<T, "at"> : never;
export type JournalEntry = Body<JournalRecord>;

export type LineState =
  | { readonly state: "new" }
  | { readonly state: "rejected"; readonly error: string }
  | { readonly state: "unconfirmed"; readonly key: string; readonly hash: string }
  | { readonly state: "submitted"; readonly requestId: string; readonly provider: string; readonly hash: string }
  | { readonly state: "done"; readonly requestId: string; readonly files: readonly string[] }
  | { readonly state: "failed"; readonly requestId: string; readonly error: string };

export class JournalError extends Error {
  override readonly name = "JournalError";
}

/** Every record, in order. A torn last line (a crash mid-append) is dropped; a torn line elsewhere is an error. */
export function parseJournal(text: string, path: string): JournalRecord[] {
  const lines = text.split("\n");
  const records: JournalRecord[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch {
      const isLast = index === lines.length - 1;
      if (isLast) break;
      throw new JournalError(
        `${path}:${index + 1} is not a journal record. The journal is damaged: move it away to start over (its submitted jobs would then be submitted again).`,
      );
    }
  }
  return records;
}

/** What the records say about each input line (by line number). */
export function lineStates(records: readonly JournalRecord[]): Map<number, LineState> {
  const states = new Map<number, LineState>();
  const hashes = new Map<number, string>();
  for (const r of records) {
    switch (r.type) {
      case "batch":
        break;
      case "submitting":
        hashes.set(r.line, r.hash);
        states.set(r.line, { state: "unconfirmed", key: r.key, hash: r.hash });
        break;
      case "submitted":
        states.set(r.line, { state: "submitted", requestId: r.request_id, provider: r.provider, hash: hashes.get(r.line) ?? "" });
        break;
      case "rejected":
        states.set(r.line, { state: "rejected", error: r.error });
        break;
      case "done":
        states.set(r.line, { state: "done", requestId: r.request_id, files: r.files });
        break;
      case "failed":
        states.set(r.line, { state: "failed", requestId: r.request_id, error: r.error });
        break;
    }
  }
  return states;
}

export class Journal {
  readonly path: string;
  readonly #handle: FileHandle;
  #queue: Promise<void> = Promise.resolve();

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /** Opens (creating if needed) for appending, and returns the records already there. */
  static async open(path: string): Promise<{ journal: Journal; records: JournalRecord[] }> {
    await mkdir(dirname(path), { recursive: true });
    let text = "";
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const records = parseJournal(text, path);
    const handle = await open(path, "a");
    const journal = new Journal(path, handle);
    if (text === "") await syncDirectory(dirname(path));
    // A torn last line gets its newline, so the next record starts on a line of its own.
    else if (!text.endsWith("\n")) await journal.#write("\n");
    return { journal, records };
  }

  /** Resolves once the record is on disk. Appends are serialized, so records never interleave. */
  append(entry: JournalEntry): Promise<void> {
    const line = `${JSON.stringify({ ...entry, at: new Date().toISOString() })}\n`;
    const next = this.#queue.then(() => this.#write(line));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.#queue;
    await this.#handle.close();
  }

  async #write(text: string): Promise<void> {
    await this.#handle.write(text);
    await this.#handle.sync();
  }
}

/** Makes a new file's directory entry durable too (best effort: not every platform allows it). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open directories; the file's own fsync still holds its records.
  }
}
