/**
 * Progress on a terminal: one status line redrawn in place (queue position, status, elapsed
 * time) with log lines printed above it. Off unless stderr is a TTY, and off with --quiet, so
 * pipes and scripts see no noise.
 */
import type { QueueStatus } from "@fluxkit/queue";

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(chunk: string): boolean;
}

const CLEAR_LINE = "\r\x1b[2K";
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function formatElapsed(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  return `${Math.floor(seconds / 60)}m${String(Math.floor(seconds % 60)).padStart(2, "0")}s`;
}

export function describeStatus(status: QueueStatus): string {
  switch (status.status) {
    case "IN_QUEUE":
      return status.queue_position === undefined ? "in queue" : `in queue, position ${status.queue_position}`;
    case "IN_PROGRESS":
      return "in progress";
    case "COMPLETED":
      return status.error === undefined && status.error_type === undefined ? "completed" : `failed (${status.error_type ?? status.error})`;
  }
}

export class Progress {
  readonly enabled: boolean;
  readonly #stream: ProgressStream;
  readonly #now: () => number;
  readonly #started: number;
  #text = "";
  #frame = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #logsShown = 0;

  constructor(stream: ProgressStream, options: { readonly quiet: boolean; readonly now?: () => number; readonly tickMs?: number }) {
    this.enabled = !options.quiet && stream.isTTY === true;
    this.#stream = stream;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    if (this.enabled && options.tickMs !== 0) {
      // Keeps the elapsed time moving between status changes; never keeps the process alive.
      this.#timer = setInterval(() => this.#draw(), options.tickMs ?? 200);
      this.#timer.unref();
    }
  }

  elapsedMs(): number {
    return this.#now() - this.#started;
  }

  /** Replace the status line. */
  status(text: string): void {
    this.#text = text;
    this.#draw();
  }

  /** A queue status: its new log lines above, then the status line. */
  queueUpdate(status: QueueStatus, prefix = ""): void {
    // Logs are cumulative per status answer; print only the ones not shown yet.
    const fresh = status.logs.slice(this.#logsShown);
    this.#logsShown = Math.max(this.#logsShown, status.logs.length);
    for (const log of fresh) this.line(`  ${prefix}${log.message}`);
    this.status(`${prefix}${describeStatus(status)}`);
  }

  /** A permanent line above the status line. */
  line(text: string): void {
    if (!this.enabled) return;
    this.#stream.write(`${CLEAR_LINE}${text}\n`);
    this.#draw();
  }

  /** Erase the status line and stop redrawing. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.enabled && this.#text !== "") this.#stream.write(CLEAR_LINE);
    this.#text = "";
  }

  #draw(): void {
    if (!this.enabled || this.#text === "") return;
    this.#frame = (this.#frame + 1) % FRAMES.length;
    this.#stream.write(`${CLEAR_LINE}${FRAMES[this.#frame]} ${this.#text} · ${formatElapsed(this.elapsedMs())}`);
  }
}
