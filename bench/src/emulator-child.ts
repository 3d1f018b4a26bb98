/** Starts bench/src/emulator-process.ts as a child and talks to it over IPC. */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { EmulatorOptions, EmulatorStats } from "@fluxkit/emulator";
import { wallNow } from "./stats.js";

export interface EmulatorChild {
  url: string;
  auth: "bearer" | "key";
  /** Completes running jobs (manual latency); resolves with when it did, on this process's `wallNow()` clock. */
  finish(requestId?: string): Promise<{ finished: number; at: number }>;
  /** Resolves once the job is COMPLETED on the server. */
  waitForJob(requestId: string): Promise<void>;
  stats(): Promise<EmulatorStats>;
  resetStats(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions): Promise<EmulatorChild> {
  const script = fileURLToPath(new URL("./emulator-process.ts", import.meta.url));
  const child: ChildProcess = fork(script, [JSON.stringify(options)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const waiters = new Map<number, (m: Record<string, unknown>) => void>();
  let next = 1;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    waiters.set(0, resolve);
    child.once("exit", (code) => reject(new Error(`emulator process exited with ${code} before it was ready`)));
  });
  child.on("message", (m: Record<string, unknown>) => {
    const w = waiters.get(m.id as number);
    waiters.delete(m.id as number);
    w?.(m);
  });
  const call = (op: string, extra: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = next++;
      waiters.set(id, resolve);
      child.send({ id, op, ...extra });
    });
  const hello = await ready;
  child.removeAllListeners("exit");
  // The two processes' clocks may disagree by milliseconds: measure the offset with the
  // round trip of least delay (the child's reading is taken half-way through it).
  let offset = 0;
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 30; i++) {
    const t0 = wallNow();
    const r = await call("clock");
    const t1 = wallNow();
    if (t1 - t0 < best) {
      best = t1 - t0;
      offset = (r.now as number) - (t0 + t1) / 2;
    }
  }
  return {
    url: hello.url as string,
    auth: hello.auth as "bearer" | "key",
    finish: async (requestId) => {
      const r = await call("finish", requestId === undefined ? {} : { requestId });
      return { finished: r.finished as number, at: (r.at as number) - offset };
    },
    waitForJob: async (requestId) => void (await call("wait", { requestId })),
    stats: async () => (await call("stats")).stats as EmulatorStats,
    resetStats: async () => void (await call("reset")),
    close: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      await call("close");
      await exited;
    },
  };
}
