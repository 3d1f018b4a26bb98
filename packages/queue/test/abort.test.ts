import { describe, expect, it, vi } from "vitest";
import { AbortError } from "../src/index.js";
import { fluxLora, sampleOutput } from "./fixtures/endpoints.js";
import { hang, json, observedFetch, route, settle, sse, submitted, testClient } from "./helpers.js";

const input = { prompt: "a cat" };
const SUBMIT = "POST /fal-ai/flux-lora";
const pending = json(202, { status: "IN_QUEUE", queue_position: 1 });

/** Starts `run`, aborts once `when` is true, and returns the rejection plus the calls made. */
async function abortWhen(
  routes: Parameters<typeof observedFetch>[0],
  when: (calls: ReturnType<typeof observedFetch>["calls"]) => boolean,
  options: { mode?: "polling" | "streaming" } = {},
) {
  const observed = observedFetch(routes);
  const { client } = testClient(observed.fetch);
  const controller = new AbortController();
  const outcome = client.run(fluxLora, input, { ...options, signal: controller.signal }).catch((e: unknown) => e);
  // Real time, not only microtasks: the stream reader is a dynamic import.
  await vi.waitFor(() => expect(when(observed.calls)).toBe(true), { timeout: 20_000, interval: 1 });
  controller.abort();
  return { error: await outcome, calls: observed.calls };
}

const hasCall = (path: string) => (calls: { url: string }[]) => calls.some((c) => new URL(c.url).pathname === path);

describe("abort", () => {
  it("an already aborted signal sends nothing", async () => {
    const { fetch, calls } = observedFetch({ [SUBMIT]: json(200, submitted("a0")) });
    const { client } = testClient(fetch);
    const error = await client.run(fluxLora, input, { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(calls).toHaveLength(0);
  });

  it("during the submit request", async () => {
    const { error, calls } = await abortWhen({ [SUBMIT]: hang() }, (c) => c.length === 1);
    expect(error).toBeInstanceOf(AbortError);
    expect(calls).toHaveLength(1); // not retried
  });

  it("during a status request", async () => {
    const { error, calls } = await abortWhen(
      { [SUBMIT]: json(200, submitted("a1")), [route("GET", "a1", "/status")]: hang() },
      hasCall("/fal-ai/flux-lora/requests/a1/status"),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect(calls.filter((c) => c.method === "PUT")).toHaveLength(0); // abort does not cancel the job
    expect(calls).toHaveLength(2);
  });

  it("during the sleep between polls", async () => {
    const { fetch, calls } = observedFetch({ [SUBMIT]: json(200, submitted("a2")), [route("GET", "a2", "/status")]: pending });
    const { client, sleeps } = testClient(fetch);
    const controller = new AbortController();
    // Aborting from the update callback lands while the poller is about to sleep.
    const error = await client
      .run(fluxLora, input, { signal: controller.signal, onQueueUpdate: (s) => s.status === "IN_QUEUE" && s.queue_position === 1 && controller.abort() })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    // The one sleep is the wait before the first poll; the abort lands before the second.
    expect(sleeps).toEqual([250]);
    expect(calls).toHaveLength(2);
  });

  it("during a retry backoff", async () => {
    const { fetch, calls } = observedFetch({ [SUBMIT]: json(200, submitted("a3")), [route("GET", "a3", "/status")]: json(503, {}) });
    const controller = new AbortController();
    let sleeps = 0;
    const { client } = testClient(fetch, {
      clock: {
        now: () => 0,
        setTimer: () => () => {},
        // The first sleep is the wait before the first poll; the second is the 503's backoff.
        sleep: (_ms, signal) => {
          if (++sleeps === 1) return Promise.resolve();
          controller.abort();
          return Promise.reject(signal?.reason);
        },
      },
    });
    const error = await client.run(fluxLora, input, { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(calls).toHaveLength(2);
  });

  it("during the status stream", async () => {
    const { error } = await abortWhen(
      {
        [SUBMIT]: json(200, submitted("a4")),
        [route("GET", "a4", "/status/stream")]: sse([{ status: "IN_QUEUE", queue_position: 0 }], { end: false }),
      },
      hasCall("/fal-ai/flux-lora/requests/a4/status/stream"),
      { mode: "streaming" },
    );
    expect(error).toBeInstanceOf(AbortError);
  });

  it("during the result request", async () => {
    const { error } = await abortWhen(
      {
        [SUBMIT]: json(200, submitted("a5")),
        [route("GET", "a5", "/status")]: json(200, { status: "COMPLETED" }),
        [route("GET", "a5")]: hang(),
      },
      hasCall("/fal-ai/flux-lora/requests/a5"),
    );
    expect(error).toBeInstanceOf(AbortError);
  });

  it("a lower-level call honours the signal too", async () => {
    const { fetch } = observedFetch({ [route("GET", "a6")]: hang() });
    const { client } = testClient(fetch);
    const controller = new AbortController();
    const pendingResult = client.result({ endpoint: fluxLora, requestId: "a6" }, { signal: controller.signal });
    await settle();
    controller.abort();
    await expect(pendingResult).rejects.toBeInstanceOf(AbortError);
    void sampleOutput;
  });
});
