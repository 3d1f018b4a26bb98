import { describe, expect, it } from "vitest";
import { FAL_QUEUE_ORIGIN, type ProviderName } from "../src/index.js";
import { LORA, LORA_I2I, SMALL, client, start } from "./helpers.js";

const modes: Array<{ provider: ProviderName; scheme: string; wrong: string; path: string }> = [
  { provider: "fal", scheme: "Key", wrong: "Bearer", path: LORA },
  { provider: "chainhub", scheme: "Bearer", wrong: "Key", path: LORA },
  { provider: "kkiai", scheme: "Bearer", wrong: "Key", path: LORA_I2I },
];

function inputFor(path: string): Record<string, unknown> {
  return path === LORA
    ? { prompt: "a lighthouse", image_size: SMALL, seed: 7 }
    : { prompt: "a lighthouse", image_url: "https://example.com/in.png", image_size: SMALL };
}

describe.each(modes)("provider $provider", ({ provider, scheme, wrong, path }) => {
  it(`requires Authorization: ${scheme}`, async () => {
    const emulator = await start({ provider });
    const c = client(emulator);
    const missing = await c.submit(path, inputFor(path), { headers: { authorization: "" } });
    expect(missing.status).toBe(401);
    expect(missing.body.detail).toContain(`Authorization: ${scheme} <token>`);
    const wrongScheme = await c.submit(path, inputFor(path), { headers: { authorization: `${wrong} abc` } });
    expect(wrongScheme.status).toBe(401);
    const empty = await c.submit(path, inputFor(path), { headers: { authorization: `${scheme} ` } });
    expect(empty.status).toBe(401);
    expect(emulator.stats().jobsCreated).toBe(0);
  });

  it("runs submit → status → result → cancel like the provider answers", async () => {
    const emulator = await start({ provider });
    const c = client(emulator);
    const submitted = await c.submit(path, inputFor(path));
    expect(submitted.status).toBe(200);
    const id: string = submitted.body.request_id;
    expect(submitted.headers.get("x-fal-request-id")).toBe(id);
    expect(submitted.body).toMatchObject({ status: "IN_QUEUE", queue_position: 0, logs: null, metrics: {} });
    const origin = provider === "fal" ? emulator.url : FAL_QUEUE_ORIGIN;
    expect(submitted.body.status_url).toBe(`${origin}/fal-ai/flux-lora/requests/${id}/status`);
    expect(submitted.body.response_url).toBe(`${origin}/fal-ai/flux-lora/requests/${id}`);
    expect(submitted.body.cancel_url).toBe(`${origin}/fal-ai/flux-lora/requests/${id}/cancel`);
    expect(emulator.validateSchema(emulator.endpoints.find((e) => e.submitPath === path)?.id ?? "", "QueueSubmitResponse", submitted.body)).toEqual([]);

    await emulator.waitForJob(id);
    const status = await c.get(submitted.body.status_url);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ status: "COMPLETED", request_id: id, logs: null });
    expect(typeof status.body.metrics.inference_time).toBe("number");
    expect(status.body.error).toBeUndefined();

    const result = await c.get(submitted.body.response_url);
    expect(result.status).toBe(200);
    const endpointId = emulator.endpoints.find((e) => e.submitPath === path)?.id ?? "";
    expect(emulator.validateSchema(endpointId, "Output", result.body)).toEqual([]);
    expect(emulator.validateSchema(endpointId, "QueueStatus", status.body)).toEqual([]);
    expect(result.body).toMatchObject({ prompt: "a lighthouse", has_nsfw_concepts: [false] });

    const cancel = await c.put(submitted.body.cancel_url);
    expect(cancel).toMatchObject({ status: 400, body: { status: "ALREADY_COMPLETED" } });
  });
});

describe("follow-ups", () => {
  it("answer 404 HttpError for unknown ids and for ids of another app", async () => {
    const emulator = await start();
    const c = client(emulator);
    for (const url of ["/fal-ai/flux-lora/requests/nope/status", "/fal-ai/flux-lora/requests/nope", "/fal-ai/flux-lora/requests/nope/status/stream"]) {
      const r = await c.get(url);
      expect(r.status).toBe(404);
      expect(typeof r.body.detail).toBe("string");
    }
    expect((await c.put("/fal-ai/flux-lora/requests/nope/cancel")).status).toBe(404);
    const submitted = await c.submit(LORA, { prompt: "x", image_size: SMALL });
    const other = await c.get(`/fal-ai/flux-1/requests/${submitted.body.request_id}/status`);
    expect(other.status).toBe(404);
  });

  it("shares follow-up routes between endpoints of one app: ids are global", async () => {
    const emulator = await start();
    const c = client(emulator);
    const a = await c.submit(LORA, { prompt: "a", image_size: SMALL });
    const b = await c.submit(LORA_I2I, { prompt: "b", image_url: "https://example.com/x.png", image_size: SMALL });
    await Promise.all([emulator.waitForJob(a.body.request_id), emulator.waitForJob(b.body.request_id)]);
    expect((await c.get(a.body.response_url)).body.prompt).toBe("a");
    expect((await c.get(b.body.response_url)).body.prompt).toBe("b");
  });

  it("accepts only the configured token when one is set", async () => {
    const emulator = await start({ token: "s3cret" });
    expect((await client(emulator, "other").submit(LORA, { prompt: "x" })).status).toBe(401);
    expect((await client(emulator, "s3cret").submit(LORA, { prompt: "x", image_size: SMALL })).status).toBe(200);
  });

  it("answers 400 for a result that is not ready, then the output", async () => {
    const emulator = await start({ latency: "manual" });
    const c = client(emulator);
    const submitted = await c.submit(LORA, { prompt: "x", image_size: SMALL });
    const early = await c.get(submitted.body.response_url);
    expect(early.status).toBe(400);
    expect(typeof early.body.detail).toBe("string");
  });
});
