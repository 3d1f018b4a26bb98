/** For long-running commands: resolves on Ctrl-C (the CLI's abort signal) or SIGTERM (a service manager stopping us). */
import type { CliIO } from "./cli-io.js";

export interface StopSignal {
  /** How the command was asked to stop. */
  readonly stopped: Promise<"interrupt" | "terminate">;
  /** Removes the SIGTERM listener (call it when the command ends for another reason). */
  dispose(): void;
}

export function stopSignal(io: CliIO): StopSignal {
  let onTerm = () => {};
  let onAbort = () => {};
  const stopped = new Promise<"interrupt" | "terminate">((resolve) => {
    onTerm = () => resolve("terminate");
    onAbort = () => resolve("interrupt");
    process.once("SIGTERM", onTerm);
    if (io.signal.aborted) resolve("interrupt");
    else io.signal.addEventListener("abort", onAbort, { once: true });
  });
  return {
    stopped,
    dispose() {
      process.off("SIGTERM", onTerm);
      io.signal.removeEventListener("abort", onAbort);
    },
  };
}
