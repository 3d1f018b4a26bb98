/** Compile-time contract, enforced by `tsc -p tsconfig.json` in the test script. */
import { describe, expectTypeOf, it } from "vitest";
import {
  createQueueClient,
  type EndpointDefinition,
  type JobResult,
  type QueueHandle,
  type QueueStatus,
  type WebhookDelivery,
  createWebhookVerifier,
} from "../src/index.js";
import { fluxLora, fluxLoraImageToImage, type FluxLoraImageToImageInput, type FluxLoraInput, type FluxOutput } from "./fixtures/endpoints.js";
import { observedFetch } from "./helpers.js";

const client = createQueueClient({ provider: "fal", token: "k", fetch: observedFetch({}).fetch });

// Type-level checks only: the functions below are never called.
describe("types", () => {
  it("a structurally compatible endpoint package is accepted", () => {
    expectTypeOf(fluxLora).toMatchTypeOf<EndpointDefinition<FluxLoraInput, FluxOutput>>();
  });

  it("run infers input and output from the endpoint", () => {
    const typed = () => client.run(fluxLora, { prompt: "a", loras: [{ path: "p", scale: 1 }] });
    expectTypeOf(typed).returns.resolves.toEqualTypeOf<JobResult<FluxOutput>>();
    expectTypeOf(client.run<FluxLoraImageToImageInput, FluxOutput>)
      .parameter(1)
      .toEqualTypeOf<FluxLoraImageToImageInput>();
    const i2i = () => client.run(fluxLoraImageToImage, { prompt: "a", image_url: "https://x/y.png", strength: 0.5 });
    expectTypeOf(i2i).returns.resolves.toHaveProperty("data").toEqualTypeOf<FluxOutput>();
  });

  it("a wrong or missing field is a compile error", () => {
    // @ts-expect-error — not a field of the flux-lora input
    const unknownField = () => client.run(fluxLora, { prompt: "a", promt: "typo" });
    // @ts-expect-error — num_images is a number
    const wrongType = () => client.run(fluxLora, { prompt: "a", num_images: "4" });
    // @ts-expect-error — image_url is required by image-to-image
    const missing = () => client.run(fluxLoraImageToImage, { prompt: "a" });
    // @ts-expect-error — not one of the image_size enum values
    const badEnum = () => client.submit(fluxLora, { prompt: "a", image_size: "huge" });
    void [unknownField, wrongType, missing, badEnum];
  });

  it("follow-up calls carry the output type through handles and stored ids", () => {
    const submit = () => client.submit(fluxLora, { prompt: "a" });
    expectTypeOf(submit).returns.resolves.toEqualTypeOf<QueueHandle<FluxOutput>>();
    const fromHandle = (h: QueueHandle<FluxOutput>) => client.result(h);
    expectTypeOf(fromHandle).returns.resolves.toEqualTypeOf<JobResult<FluxOutput>>();
    const fromId = () => client.subscribe({ endpoint: fluxLoraImageToImage, requestId: "r" });
    expectTypeOf(fromId).returns.resolves.toEqualTypeOf<JobResult<FluxOutput>>();
    const stream = () => client.streamStatus({ endpoint: fluxLora, requestId: "r" });
    expectTypeOf(stream).returns.toMatchTypeOf<AsyncIterable<QueueStatus>>();
  });

  it("status is a discriminated union", () => {
    const narrow = (s: QueueStatus) => {
      if (s.status === "IN_QUEUE") expectTypeOf(s.queue_position).toEqualTypeOf<number | undefined>();
      if (s.status === "COMPLETED") expectTypeOf(s.metrics.inference_time).toEqualTypeOf<number | undefined>();
      // @ts-expect-error — only COMPLETED has metrics
      if (s.status === "IN_PROGRESS") void s.metrics;
    };
    void narrow;
  });

  it("webhook deliveries are typed from the endpoint", () => {
    const verify = () => createWebhookVerifier().verify({ headers: {}, body: "" }, fluxLora);
    expectTypeOf(verify).returns.resolves.toEqualTypeOf<WebhookDelivery<FluxOutput>>();
  });

  it("rejects an unknown provider and a wrong priority", () => {
    // @ts-expect-error — not a preset
    void (() => createQueueClient({ provider: "replicate" }));
    // @ts-expect-error — priority is low | normal
    void (() => client.submit(fluxLora, { prompt: "a" }, { priority: "high" }));
  });
});
