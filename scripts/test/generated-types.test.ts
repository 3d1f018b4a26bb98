/** Type tests on the generated packages: raw vs normalized must show in the types. */
import { describe, expectTypeOf, it } from "vitest";
import type { Input as DevInput, Output as DevOutput } from "../../packages/flux-1-dev-image-to-image/src/index.js";
import { type components, fluxLora, type Input as LoraInput, type Output, type QueueSubmitResponse } from "../../packages/flux-lora/src/index.js";
import type { Input as LoraI2IInput } from "../../packages/flux-lora-image-to-image/src/index.js";

describe("generated types", () => {
  it("image_size is fal's preset union or an explicit size, not the vendor's strings", () => {
    expectTypeOf<NonNullable<LoraInput["image_size"]>>().toEqualTypeOf<
      "square_hd" | "square" | "portrait_4_3" | "portrait_16_9" | "landscape_4_3" | "landscape_16_9" | { width: number; height: number }
    >();
    // @ts-expect-error "square pro" is what the vendor lists; the model rejects it.
    const bad: LoraInput = { prompt: "x", image_size: "square pro" };
    void bad;
  });

  it("prompt and image_url are required; the rest is optional", () => {
    expectTypeOf<LoraI2IInput["prompt"]>().toEqualTypeOf<string>();
    expectTypeOf<LoraI2IInput["image_url"]>().toEqualTypeOf<string>();
    expectTypeOf<{ prompt: string; image_url: string }>().toMatchTypeOf<LoraI2IInput>();
    expectTypeOf<{ prompt: string }>().not.toMatchTypeOf<LoraI2IInput>();
    expectTypeOf<{ prompt: string }>().toMatchTypeOf<LoraInput>();
  });

  it("enums from prose are literal unions, the vendor's `default` pseudo-value removed", () => {
    expectTypeOf<DevInput["output_format"]>().toEqualTypeOf<"png" | "jpeg" | undefined>();
    expectTypeOf<DevInput["acceleration"]>().toEqualTypeOf<"none" | "regular" | "high" | undefined>();
    expectTypeOf<DevInput["seed"]>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<LoraInput["loras"]>().toEqualTypeOf<{ path: string; scale?: number }[] | undefined>();
  });

  it("the submit answer and the result are fully typed", () => {
    expectTypeOf<QueueSubmitResponse["status"]>().toEqualTypeOf<"IN_QUEUE" | "IN_PROGRESS" | "COMPLETED">();
    expectTypeOf<QueueSubmitResponse["request_id"]>().toEqualTypeOf<string>();
    expectTypeOf<Output["images"][number]["url"]>().toEqualTypeOf<string>();
    expectTypeOf<Output["has_nsfw_concepts"]>().toEqualTypeOf<boolean[]>();
    expectTypeOf<DevOutput["seed"]>().toEqualTypeOf<number>();
    expectTypeOf<Output>().not.toEqualTypeOf<Record<string, never>>();
  });

  it("open objects are Record<string, unknown>: a 422's ctx can be read", () => {
    type Ctx = NonNullable<components["schemas"]["ValidationErrorItem"]["ctx"]>;
    expectTypeOf<Ctx>().toEqualTypeOf<Record<string, unknown>>();
    const ctx: Ctx = { le: 4 };
    expectTypeOf(ctx.le).toEqualTypeOf<unknown>();
  });

  it("the endpoint value carries its input and output types", () => {
    expectTypeOf(fluxLora["~types"]).toEqualTypeOf<{ readonly input: LoraInput; readonly output: Output } | undefined>();
  });
});
