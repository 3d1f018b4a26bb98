/**
 * One memory measurement in a fresh process (run with --expose-gc): `n` jobs in flight at
 * once against a manual-latency emulator, heap after GC before and while they wait.
 * argv: <mode> <n> <emulator url>. Prints JSON { baseHeap, inFlightHeap, perJobBytes }.
 */
import { createFalClient } from "@fal-ai/client";
import { fluxLora } from "@fluxkit/flux-lora";
import { createQueueClient } from "@fluxkit/queue";
import { benchInput, ENDPOINT, TOKEN } from "./clients.js";

const [mode, nText, url] = process.argv.slice(2);
const n = Number(nText);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || !url) throw new Error("usage: node --expose-gc --import tsx memory-worker.ts <mode> <n> <url>");
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().heapUsed;
};

const queue = createQueueClient({ provider: { baseUrl: url, auth: "key" }, token: TOKEN });
const fal = createFalClient({
  credentials: TOKEN,
  suppressLocalCredentialsWarning: true,
  fetch: ((i: string | URL | Request, init?: RequestInit) =>
    fetch((typeof i === "string" ? i : i instanceof URL ? i.href : i.url).replace(/^https:\/\/(queue\.)?fal\.run/, url), init)) as typeof fetch,
});
// Warm every code path once (module init, connection pool) so the baseline includes it.
{
  const h = await queue.submit(fluxLora, benchInput(-1));
  await queue.cancel(h);
}
const inputs = Array.from({ length: n }, (_, i) => benchInput(i));
const baseHeap = await settle();
let submitted = 0;
const jobs = inputs.map((input) => {
  if (mode === "@fal-ai/client subscribe") {
    return fal.subscribe(ENDPOINT, { input, onEnqueue: () => void submitted++ });
  }
  const p = queue.run(fluxLora, input, {
    mode: mode === "@fluxkit/queue run (streaming)" ? "streaming" : "polling",
    onQueueUpdate: (s) => {
      if (s.status === "IN_QUEUE" && !seen.has(input)) {
        seen.add(input);
        submitted++;
      }
    },
  });
  return p;
});
const seen = new Set<unknown>();
while (submitted < n) await new Promise((r) => setTimeout(r, 20));
// Let every job reach its waiting state (first poll sent and its timer armed, or the stream open).
await new Promise((r) => setTimeout(r, 1500));
const inFlightHeap = await settle();
process.send?.({ baseHeap, inFlightHeap, perJobBytes: (inFlightHeap - baseHeap) / n });
// The parent finishes the jobs; wait for all results so nothing was lost.
const results = await Promise.allSettled(jobs);
const failed = results.filter((r) => r.status === "rejected");
process.send?.({ done: true, failed: failed.length, firstError: failed[0] && describe((failed[0] as PromiseRejectedResult).reason) });

function describe(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    parts.push(`${e.message ?? String(e)}${e.code ? ` [${e.code}]` : ""}`);
  }
  return parts.join(" ← ");
}
