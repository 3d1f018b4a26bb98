/** The validated input is the body sent, and what cannot be sent is a ValidationError before the network. */
import { describe, expect, it } from "vitest";
import { ValidationError, checkInput } from "../../src/index.js";
import { fluxLora, fluxLoraImageToImage } from "../fixtures/endpoints.js";
import { json, observedFetch, submitted, testClient } from "../helpers.js";

const SUBMIT = "POST /fal-ai/flux-lora";

async function refusal(input: unknown): Promise<ValidationError> {
  const { fetch, calls } = observedFetch({});
  const { client } = testClient(fetch);
  const error = await client.submit(fluxLora, input as never).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationError);
  expect(calls).toHaveLength(0);
  return error as ValidationError;
}

describe("the input as sent", () => {
  it("sends exactly the bytes it validated: toJSON and inherited properties cannot differ", async () => {
    const { fetch, calls } = observedFetch({ [SUBMIT]: json(200, submitted("in1")) });
    const { client } = testClient(fetch);
    const shifty = { prompt: "a", toJSON: () => ({ prompt: "b", num_images: 2 }) };
    await client.submit(fluxLora, shifty as never);
    expect(calls[0]?.body).toEqual({ prompt: "b", num_images: 2 });

    // toJSON turning a valid input into an invalid one: the invalid one is what is judged.
    const breaks = { prompt: "a", toJSON: () => ({ prompt: "a", num_images: 99 }) };
    expect((await refusal(breaks)).issues.map((i) => i.path)).toEqual(["num_images"]);

    // An inherited prompt is not sent (JSON.stringify skips it), so it is missing.
    const inherited = Object.create({ prompt: "from the prototype" }) as object;
    expect((await refusal(inherited)).issues).toEqual([expect.objectContaining({ path: "prompt", keyword: "required" })]);
  });

  it("refuses what JSON cannot carry: a cycle, a BigInt, a depth beyond the engine, a non-object", async () => {
    const cyclic: Record<string, unknown> = { prompt: "a" };
    cyclic.self = cyclic;
    expect((await refusal(cyclic)).message).toMatch(/refers to itself/);
    expect((await refusal({ prompt: "a", seed: 10n })).message).toMatch(/BigInt/);
    let deep: unknown = "x";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect((await refusal({ prompt: "a", loras: deep })).message).toMatch(/nested too deeply/);
    expect((await refusal(undefined)).message).toMatch(/must be a JSON object/);
  });

  it("refuses unknown fields with the nearest known name, at any depth the schema lists", async () => {
    const error = await refusal({ prompt: "a", num_imgaes: 2, loras: [{ path: "x", scael: 1 }], image_size: { width: 8, hieght: 8 } });
    expect(error.issues).toEqual([
      { path: "num_imgaes", message: 'is not an input field of fal-ai/flux-lora; did you mean "num_images"?', keyword: "additionalProperties" },
      { path: "loras.0.scael", message: 'is not an input field of fal-ai/flux-lora; did you mean "scale"?', keyword: "additionalProperties" },
      { path: "image_size.hieght", message: 'is not an input field of fal-ai/flux-lora; did you mean "height"?', keyword: "additionalProperties" },
    ]);
    expect(error.message).toContain("allowUnknownFields: true");
    const far = await refusal({ prompt: "a", colour: "red" });
    expect(far.issues[0]?.message).not.toContain("did you mean");
  });

  it("sends unknown fields when told to (per client or per submit), and without a field list", async () => {
    const { fetch, calls } = observedFetch({ [SUBMIT]: json(200, submitted("in2")), "POST /fal-ai/flux-lora/image-to-image": json(200, submitted("in3")) });
    const { client } = testClient(fetch, { allowUnknownFields: true });
    await client.submit(fluxLora, { prompt: "a", new_field: 1 } as never);
    const strict = testClient(fetch).client;
    await strict.submit(fluxLora, { prompt: "a", new_field: 2 } as never, { allowUnknownFields: true });
    // The image-to-image fixture declares no field list: nothing to compare against.
    await strict.submit(fluxLoraImageToImage, { prompt: "a", image_url: "https://x.example/a.png", other: 3 } as never);
    expect(calls.map((c) => c.body)).toEqual([
      { prompt: "a", new_field: 1 },
      { prompt: "a", new_field: 2 },
      { prompt: "a", image_url: "https://x.example/a.png", other: 3 },
    ]);
  });

  it("checkInput reports every issue without throwing, for callers that add their own (the CLI)", () => {
    const checked = checkInput(fluxLora, { num_images: 9, num_imgaes: 1 });
    expect(checked.issues.map((i) => i.path)).toEqual(["prompt", "num_images", "num_imgaes"]);
    expect(checkInput(fluxLora, { prompt: "ok" })).toEqual({ body: '{"prompt":"ok"}', issues: [] });
  });
});
