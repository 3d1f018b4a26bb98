/**
 * Type tests on the generated packages: raw vs normalized must show in the types, and every
 * input fal's own client types (the pinned @fal-ai/client type map) compiles against ours.
 */
import type { EndpointTypeMap, File as FalFile } from "@fal-ai/client/endpoints";
import { describe, expectTypeOf, it } from "vitest";
import type { Input as DevInput, Output as DevOutput } from "../../packages/flux-1-dev-image-to-image/src/index.js";
import { type components, fluxLora, type Input as LoraInput, type Output, type QueueSubmitResponse } from "../../packages/flux-lora/src/index.js";
import type { Input as LoraI2IInput } from "../../packages/flux-lora-image-to-image/src/index.js";

/**
 * fal's client takes a Blob or File where a URL goes (`string | Blob | File`) and uploads it
 * first; on the wire it is a string. (In that file `File` names fal's own file object, which
 * shadows the DOM's File the generator meant.)
 */
type Uploaded<T> = T extends Blob | FalFile ? string : T extends (infer U)[] ? Uploaded<U>[] : T extends object ? { [K in keyof T]: Uploaded<T[K]> } : T;
type Upstream<Id extends keyof EndpointTypeMap> = Uploaded<EndpointTypeMap[Id]["input"]>;
/** Ours takes `seed: null` too (the one declared deviation); without it, the two must agree both ways. */
type WithoutNullSeed<T extends { seed?: number | null }> = Omit<T, "seed"> & { seed?: number };

const lora = { path: "https://example.com/style.safetensors", scale: 0.8 };

describe("generated types", () => {
  it("image_size is fal's preset union or an explicit size whose sides are each optional", () => {
    expectTypeOf<NonNullable<LoraInput["image_size"]>>().toEqualTypeOf<
      "square_hd" | "square" | "portrait_4_3" | "portrait_16_9" | "landscape_4_3" | "landscape_16_9" | { width?: number; height?: number }
    >();
    expectTypeOf<LoraI2IInput["image_size"]>().toEqualTypeOf<LoraInput["image_size"]>();
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

  it("enums are literal unions, the vendor's `default` pseudo-value removed; acceleration as fal has it per endpoint", () => {
    expectTypeOf<DevInput["output_format"]>().toEqualTypeOf<"png" | "jpeg" | undefined>();
    expectTypeOf<DevInput["acceleration"]>().toEqualTypeOf<"none" | "regular" | "high" | undefined>();
    expectTypeOf<LoraInput["acceleration"]>().toEqualTypeOf<"none" | "regular" | undefined>();
    expectTypeOf<LoraI2IInput["acceleration"]>().toEqualTypeOf<"none" | "regular" | undefined>();
    expectTypeOf<DevInput["seed"]>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<LoraInput["loras"]>().toEqualTypeOf<{ path: string; scale?: number; force?: boolean }[] | undefined>();
    expectTypeOf<LoraI2IInput["loras"]>().toEqualTypeOf<LoraInput["loras"]>();
  });

  it("the full upstream input of each endpoint compiles", () => {
    const text = {
      prompt: "a lighthouse",
      loras: [lora, { path: "owner/lora" }],
      seed: 42,
      num_inference_steps: 28,
      guidance_scale: 3.5,
      num_images: 2,
      enable_safety_checker: false,
      output_format: "png",
      sync_mode: true,
      acceleration: "regular",
    } satisfies LoraInput;
    const preset = { ...text, image_size: "square_hd" } satisfies LoraInput;
    const widthOnly = { ...text, image_size: { width: 800 } } satisfies LoraInput;
    const both = { ...text, image_size: { width: 800, height: 600 } } satisfies LoraInput;
    const i2i = { ...text, image_url: "https://example.com/a.png", strength: 0.6, image_size: { width: 800 } } satisfies LoraI2IInput;
    const i2iPreset = { ...i2i, image_size: "portrait_16_9" } satisfies LoraI2IInput;
    const dev = {
      prompt: "a cat",
      image_url: "https://example.com/a.png",
      strength: 0.95,
      seed: 7,
      num_inference_steps: 40,
      guidance_scale: 3.5,
      num_images: 1,
      enable_safety_checker: true,
      output_format: "jpeg",
      sync_mode: false,
      acceleration: "high",
    } satisfies DevInput;
    void [preset, widthOnly, both, i2i, i2iPreset, dev];
    // @ts-expect-error flux-lora's acceleration is none or regular; "high" is flux-1/dev's.
    const high: LoraInput = { prompt: "x", acceleration: "high" };
    // @ts-expect-error a side is a number of pixels.
    const text800: LoraInput = { prompt: "x", image_size: { width: "800" } };
    void [high, text800];
  });

  it("every input fal's client types is an input ours takes, and the other way round but for seed: null", () => {
    expectTypeOf<Upstream<"fal-ai/flux-lora">>().toMatchTypeOf<LoraInput>();
    expectTypeOf<Upstream<"fal-ai/flux-lora/image-to-image">>().toMatchTypeOf<LoraI2IInput>();
    expectTypeOf<Upstream<"fal-ai/flux-1/dev/image-to-image">>().toMatchTypeOf<DevInput>();
    expectTypeOf<WithoutNullSeed<LoraInput>>().toMatchTypeOf<Upstream<"fal-ai/flux-lora">>();
    expectTypeOf<WithoutNullSeed<LoraI2IInput>>().toMatchTypeOf<Upstream<"fal-ai/flux-lora/image-to-image">>();
    expectTypeOf<WithoutNullSeed<DevInput>>().toMatchTypeOf<Upstream<"fal-ai/flux-1/dev/image-to-image">>();
    // Both ids exist in the type map with the same input type; ours is flux-1/dev.
    expectTypeOf<EndpointTypeMap["fal-ai/flux-1/dev/image-to-image"]["input"]>().toEqualTypeOf<EndpointTypeMap["fal-ai/flux/dev/image-to-image"]["input"]>();
  });

  it("the submit answer and the result are fully typed, and fal's output is one ours describes", () => {
    expectTypeOf<QueueSubmitResponse["status"]>().toEqualTypeOf<"IN_QUEUE" | "IN_PROGRESS" | "COMPLETED">();
    expectTypeOf<QueueSubmitResponse["request_id"]>().toEqualTypeOf<string>();
    expectTypeOf<Output["images"][number]["url"]>().toEqualTypeOf<string>();
    expectTypeOf<Output["images"][number]["file_size"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Output["has_nsfw_concepts"]>().toEqualTypeOf<boolean[]>();
    expectTypeOf<DevOutput["seed"]>().toEqualTypeOf<number>();
    expectTypeOf<Output>().not.toEqualTypeOf<Record<string, never>>();
    // Field for field the same as fal's; fal types `timings` as unknown, ours as seconds per stage.
    expectTypeOf<Omit<Output, "timings">>().toEqualTypeOf<Omit<EndpointTypeMap["fal-ai/flux-lora"]["output"], "timings">>();
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
