/** The `flux` process: real streams and environment, Ctrl-C wired to an abort signal, the exit code. */
import { main } from "./main.js";

const interrupt = new AbortController();
process.on("SIGINT", () => {
  // The first Ctrl-C lets the command clean up (cancel the job, flush the journal); a second one quits now.
  if (interrupt.signal.aborted) process.exit(130);
  interrupt.abort();
});

// A reader that stopped reading (`flux batch results … | head`) is not an error of ours.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
// Flush what is buffered for a pipe before exiting; open keep-alive sockets must not hold the exit.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
process.exit(code);
