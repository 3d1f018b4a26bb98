import { describe, expect, it } from "vitest";
import { ForeignUrlError, ProtocolError, RequestError, ValidationError } from "../../src/index.js";
import { fluxLora, fluxLoraImageToImage } from "../fixtures/endpoints.js";
import { CHAINHUB, TOKEN, json, observedFetch, route, submitted, testClient } from "../helpers.js";

describe("submit", () => {
  it("validates the input before the network: one error listing every issue, nothing sent", async () => {
    const { fetch, calls } = observedFetch({});
    const { client } = testClient(fetch);
    // Deliberately wrong at run time; the type tests cover compile-time rejection.
    const bad = { prompt: "", num_images: 9, loras: [{ path: "a", scale: 7 }], output_format: "gif" } as never;
    const error = await client.run(fluxLora, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["prompt", "num_images", "output_format", "loras.0.scale"]);
    expect((error as Error).message).toContain("num_images");
    expect((error as Error).message).toContain("loras.0.scale");
    await expect(client.submit(fluxLoraImageToImage, { prompt: "x" } as never)).rejects.toMatchObject({
      issues: [{ path: "image_url", keyword: "required" }],
    });
    expect(calls).toHaveLength(0);
  });

  it("sends priority, runner hint, start deadline, no-retry, webhook and extra headers", async () => {
    const { fetch, calls } = observedFetch({ "POST /fal-ai/flux-lora": json(200, submitted("h1")) });
    const { client } = testClient(fetch, { headers: { "x-client": "fluxkit-test", authorization: "Bearer stolen" } });
    await client.submit(
      fluxLora,
      { prompt: "a" },
      {
        priority: "low",
        runnerHint: "eu-1",
        startTimeout: 30,
        noRetry: true,
        webhookUrl: "https://hooks.example.com/fal?x=1",
        headers: { "x-trace": "abc", Authorization: "Key other" },
      },
    );
    const call = calls[0];
    expect(call?.url).toBe(`${CHAINHUB}/fal-ai/flux-lora?fal_webhook=${encodeURIComponent("https://hooks.example.com/fal?x=1")}`);
    expect(call?.headers).toMatchObject({
      "x-fal-queue-priority": "low",
      "x-fal-runner-hint": "eu-1",
      "x-fal-request-timeout": "30",
      "x-fal-no-retry": "1",
      "x-trace": "abc",
      "x-client": "fluxkit-test",
      "content-type": "application/json",
      // Extra headers cannot replace the configured credentials.
      authorization: `Bearer ${TOKEN}`,
    });
  });

  it("rejects a bad webhook URL or start deadline before sending", async () => {
    const { fetch, calls } = observedFetch({});
    const { client } = testClient(fetch);
    await expect(client.submit(fluxLora, { prompt: "a" }, { webhookUrl: "not a url" })).rejects.toThrow(/webhookUrl/);
    await expect(client.submit(fluxLora, { prompt: "a" }, { startTimeout: -1 })).rejects.toThrow(/startTimeout/);
    expect(calls).toHaveLength(0);
  });

  it("reports a submit answer without request_id as a protocol error that warns about a possible job", async () => {
    const { fetch } = observedFetch({ "POST /fal-ai/flux-lora": json(200, { status: "IN_QUEUE" }) });
    const { client } = testClient(fetch);
    const error = await client.submit(fluxLora, { prompt: "a" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toMatch(/may have been created/);
  });
});

describe("status", () => {
  it("tolerates logs: null, metrics: {} and unknown fields", async () => {
    const { fetch } = observedFetch({
      [route("GET", "t1", "/status")]: [
        json(202, { status: "IN_QUEUE", queue_position: 0, logs: null, metrics: {}, extra: { a: 1 } }),
        json(200, { status: "COMPLETED", logs: null, metrics: {}, response_url: "x", error: null }),
      ],
    });
    const { client } = testClient(fetch);
    const job = { endpoint: fluxLora, requestId: "t1" };
    await expect(client.status(job)).resolves.toEqual({ status: "IN_QUEUE", queue_position: 0, logs: [] });
    await expect(client.status(job)).resolves.toEqual({ status: "COMPLETED", logs: [], metrics: {} });
  });

  it("rejects a body that is not JSON", async () => {
    const { fetch } = observedFetch({ [route("GET", "t2", "/status")]: () => new Response("<html>oops</html>", { status: 200 }) });
    const { client } = testClient(fetch);
    await expect(client.status({ endpoint: fluxLora, requestId: "t2" })).rejects.toBeInstanceOf(ProtocolError);
  });
});

describe("cancel", () => {
  it("returns CANCELLATION_REQUESTED (202) and ALREADY_COMPLETED (400)", async () => {
    const { fetch, calls } = observedFetch({
      [route("PUT", "c1", "/cancel")]: json(202, { status: "CANCELLATION_REQUESTED" }),
      [route("PUT", "c2", "/cancel")]: json(400, { status: "ALREADY_COMPLETED" }),
    });
    const { client } = testClient(fetch);
    await expect(client.cancel({ endpoint: fluxLora, requestId: "c1" })).resolves.toBe("CANCELLATION_REQUESTED");
    await expect(client.cancel({ endpoint: fluxLora, requestId: "c2" })).resolves.toBe("ALREADY_COMPLETED");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `PUT ${CHAINHUB}/fal-ai/flux-lora/requests/c1/cancel`,
      `PUT ${CHAINHUB}/fal-ai/flux-lora/requests/c2/cancel`,
    ]);
  });

  it("keeps any other 400 an error", async () => {
    const { fetch } = observedFetch({ [route("PUT", "c3", "/cancel")]: json(400, { detail: "bad request" }) });
    const { client } = testClient(fetch);
    await expect(client.cancel({ endpoint: fluxLora, requestId: "c3" })).rejects.toBeInstanceOf(RequestError);
  });

  it("a handle it made is used as is (frozen); a copy with its URLs changed is vetted again", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("h9")),
      [route("GET", "h9", "/status")]: json(200, { status: "IN_PROGRESS" }),
    });
    const { client } = testClient(fetch);
    const handle = await client.submit(fluxLora, { prompt: "a" });
    expect(Object.isFrozen(handle)).toBe(true);
    expect(() => Object.assign(handle, { statusUrl: "https://evil.example/steal" })).toThrow(TypeError);
    await expect(client.status(handle)).resolves.toMatchObject({ status: "IN_PROGRESS" });
    const altered = { ...handle, statusUrl: "https://evil.example/steal" };
    await expect(client.status(altered)).rejects.toBeInstanceOf(ForeignUrlError);
    expect(calls.map((c) => c.url)).not.toContain("https://evil.example/steal");
  });
});
