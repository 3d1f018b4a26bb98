import { describe, expect, it, vi } from "vitest";
import { ConnectionError } from "../src/index.js";
import { fluxLora, sampleOutput } from "./fixtures/endpoints.js";
import { json, observedFetch, route, submitted, testClient } from "./helpers.js";

// The SSE reader is loaded on first use (its own chunk in a bundled app); here that load fails.
vi.mock("../src/stream.js", () => {
  throw new Error("chunk failed to load");
});

describe("when the stream reader cannot be loaded", () => {
  it("a streaming wait falls back to polling, without opening a stream", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("l1")),
      [route("GET", "l1", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "l1")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    await expect(client.run(fluxLora, { prompt: "a cat" }, { mode: "streaming" })).resolves.toMatchObject({ requestId: "l1" });
    expect(calls.map((c) => new URL(c.url).pathname)).toEqual(["/fal-ai/flux-lora", "/fal-ai/flux-lora/requests/l1/status", "/fal-ai/flux-lora/requests/l1"]);
  });

  it("streamStatus says what failed", async () => {
    const { fetch, calls } = observedFetch({});
    const { client } = testClient(fetch);
    const stream = client.streamStatus({ endpoint: fluxLora, requestId: "l2" });
    const error = await stream.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toBe("Could not load the status stream reader.");
    expect(calls).toHaveLength(0);
  });
});
