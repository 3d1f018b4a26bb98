/**
 * The emulator in its own process, so the client being measured has the CPU (and the heap)
 * to itself. Options arrive as JSON in argv[2]; it answers IPC messages:
 *   { id, op: "finish", requestId? } → { id, finished, at }   (`at`: wall ms of completion)
 *   { id, op: "wait", requestId }    → { id, state }            (once the job is COMPLETED)
 *   { id, op: "stats" }              → { id, stats }
 *   { id, op: "close" }              → { id } and exits
 */
import { createEmulator, type EmulatorOptions } from "@fluxkit/emulator";

const options = JSON.parse(process.argv[2] ?? "{}") as EmulatorOptions;
const emulator = await createEmulator({ ...options, onError: (e) => console.error("emulator:", e) });
const wallNow = () => performance.timeOrigin + performance.now();

process.on("message", async (raw) => {
  const msg = raw as { id: number; op: string; requestId?: string };
  if (msg.op === "finish") {
    // The moment the server completes the job: taken before finish() renders and pushes it.
    const at = wallNow();
    const finished = emulator.finish(msg.requestId);
    process.send?.({ id: msg.id, finished, at });
  } else if (msg.op === "clock") {
    process.send?.({ id: msg.id, now: wallNow() });
  } else if (msg.op === "wait") {
    const job = await emulator.waitForJob(msg.requestId ?? "");
    process.send?.({ id: msg.id, state: job.state });
  } else if (msg.op === "stats") {
    process.send?.({ id: msg.id, stats: emulator.stats() });
  } else if (msg.op === "reset") {
    emulator.resetStats();
    process.send?.({ id: msg.id });
  } else if (msg.op === "close") {
    await emulator.close();
    process.send?.({ id: msg.id });
    process.disconnect();
  }
});
process.send?.({ id: 0, url: emulator.url, auth: emulator.auth });
