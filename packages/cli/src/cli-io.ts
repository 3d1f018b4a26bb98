/** What a command may touch: its streams, the environment, and the Ctrl-C signal. Tests swap these. */
import type { ProgressStream } from "./progress.js";
import type { Env } from "./provider.js";

export interface CliIO {
  readonly stdout: { write(chunk: string): boolean };
  readonly stderr: ProgressStream;
  readonly env: Env;
  /** Aborted on the first Ctrl-C (SIGINT). */
  readonly signal: AbortSignal;
}
