/**
 * The three clients compared, each pointed at the same emulator (fal mode: `Key` auth, URLs on
 * the emulator's origin), each doing the same calls.
 */
import { createFalClient } from "@fal-ai/client";
import { fluxLora } from "@fluxkit/flux-lora";
import { createQueueClient, type QueueClient } from "@fluxkit/queue";

export const ENDPOINT = "fal-ai/flux-lora";
export const TOKEN = "bench-token-0123456789";

/** Small images: the emulator really encodes them, and a 1024×768 JPEG would dominate every figure. */
export function benchInput(i = 0) {
  return { prompt: `a watercolor fox #${i}`, image_size: { width: 16, height: 16 }, num_images: 1 };
}

export function ourClient(url: string, polling?: { initialIntervalMs: number; maxIntervalMs: number; factor: number }): QueueClient {
  return createQueueClient({ provider: { baseUrl: url, auth: "key" }, token: TOKEN, ...(polling ? { polling } : {}) });
}

/** @fal-ai/client with a fetch that sends queue.fal.run / fal.run requests to the emulator. */
export function falClient(url: string) {
  const rewrite: typeof fetch = (input, init) => {
    const raw = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return fetch(raw.replace(/^https:\/\/(queue\.)?fal\.run/, url), init);
  };
  return createFalClient({ credentials: TOKEN, fetch: rewrite, suppressLocalCredentialsWarning: true });
}

export { fluxLora };

/** Raw fetch doing the three calls by hand: the floor any client is compared with. */
export function rawClient(url: string) {
  const headers = { authorization: `Key ${TOKEN}`, "content-type": "application/json", accept: "application/json" };
  return {
    async submit(input: unknown): Promise<{ request_id: string; status_url: string; response_url: string }> {
      const r = await fetch(`${url}/${ENDPOINT}`, { method: "POST", headers, body: JSON.stringify(input) });
      if (!r.ok) throw new Error(`submit ${r.status}: ${await r.text()}`);
      return (await r.json()) as { request_id: string; status_url: string; response_url: string };
    },
    async status(statusUrl: string): Promise<{ status: string }> {
      const r = await fetch(statusUrl, { headers });
      if (!r.ok) throw new Error(`status ${r.status}`);
      return (await r.json()) as { status: string };
    },
    async result(responseUrl: string): Promise<unknown> {
      const r = await fetch(responseUrl, { headers });
      if (!r.ok) throw new Error(`result ${r.status}`);
      return r.json();
    },
  };
}
