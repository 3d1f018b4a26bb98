import { describe, expect, it } from "vitest";
import { DEV_I2I, LORA, SMALL, client, start } from "./helpers.js";

describe("request validation (422 like fal)", () => {
  it("lists every problem with loc, msg and type", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, { num_images: 9, guidance_scale: "high", output_format: "gif" });
    expect(r.status).toBe(422);
    const byField = Object.fromEntries((r.body.detail as Array<{ loc: string[]; msg: string; type: string }>).map((d) => [d.loc.join("."), d]));
    expect(byField["body.prompt"]).toMatchObject({ type: "missing", msg: "Field required" });
    expect(byField["body.num_images"]).toMatchObject({ type: "less_than_equal", ctx: { le: 4 } });
    expect(byField["body.guidance_scale"]).toMatchObject({ type: "float_type" });
    expect(byField["body.output_format"]).toMatchObject({ type: "enum" });
    expect(emulator.validateSchema("fal-ai/flux-lora", "ValidationError", r.body)).toEqual([]);
    expect(emulator.stats()).toMatchObject({ jobsCreated: 0, submitsRefused: 1 });
  });

  it("explains a bad image_size union in one issue", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, { prompt: "x", image_size: { width: 0, height: 10 } });
    expect(r.status).toBe(422);
    expect(r.body.detail).toHaveLength(1);
    expect(r.body.detail[0]).toMatchObject({ loc: ["body", "image_size"], type: "union_error" });
    expect(r.body.detail[0].msg).toContain("width");
  });

  it("checks endpoint-specific constraints from each spec", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(DEV_I2I, { prompt: "x", image_url: "https://example.com/a.png", num_inference_steps: 5 });
    expect(r.status).toBe(422);
    expect(r.body.detail).toEqual([expect.objectContaining({ loc: ["body", "num_inference_steps"], type: "greater_than_equal" })]);
  });

  it("answers 422 json_invalid for a body that is not JSON", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, "{not json");
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({ loc: ["body"], type: "json_invalid" });
  });

  it("validates headers and query parameters from the spec", async () => {
    const emulator = await start();
    const c = client(emulator);
    const timeout = await c.submit(LORA, { prompt: "x" }, { headers: { "x-fal-request-timeout": "-1" } });
    expect(timeout.status).toBe(422);
    expect(timeout.body.detail[0].loc).toEqual(["header", "x-fal-request-timeout"]);
    const priority = await c.submit(LORA, { prompt: "x" }, { headers: { "x-fal-queue-priority": "urgent" } });
    expect(priority.body.detail[0].loc).toEqual(["header", "x-fal-queue-priority"]);
    const webhook = await c.submit(LORA, { prompt: "x" }, { query: "fal_webhook=not-a-url" });
    expect(webhook.status).toBe(422);
    expect(webhook.body.detail[0].loc).toEqual(["query", "fal_webhook"]);
    const ok = await c.submit(LORA, { prompt: "x", image_size: SMALL }, { headers: { "x-fal-queue-priority": "low", "x-fal-request-timeout": "30" } });
    expect(ok.status).toBe(200);
    const logs = await c.get(`${ok.body.status_url}?logs=7`);
    expect(logs.status).toBe(422);
  });
});
