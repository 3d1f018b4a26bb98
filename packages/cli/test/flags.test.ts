import { endpointPackages } from "@fluxkit/endpoints";
import { describe, expect, it } from "vitest";
import { FlagError, collectFlags, flagsFromSchema, helpText, parseFlags, type SchemaNode } from "../src/flags.js";

const lora = flagsFromSchema(endpointPackages["fal-ai/flux-lora"].inputSchema as unknown as SchemaNode);
const dev = flagsFromSchema(endpointPackages["fal-ai/flux-1/dev/image-to-image"].inputSchema as unknown as SchemaNode);
const loraI2I = flagsFromSchema(endpointPackages["fal-ai/flux-lora/image-to-image"].inputSchema as unknown as SchemaNode);

describe("flags from the spec", () => {
  it("one kebab-case flag per input field, typed", () => {
    expect(lora.map((f) => [f.flag, f.kind])).toEqual([
      ["prompt", "string"],
      ["image-size", "json"],
      ["num-inference-steps", "integer"],
      ["guidance-scale", "number"],
      ["num-images", "integer"],
      ["enable-safety-checker", "boolean"],
      ["output-format", "string"],
      ["sync-mode", "boolean"],
      ["seed", "integer"],
      ["loras", "json"],
      ["acceleration", "string"],
    ]);
  });

  it("every field of every endpoint has its flag, image-to-image's LoRA fields included", () => {
    for (const [id, pkg] of Object.entries(endpointPackages)) {
      const schema = pkg.inputSchema as unknown as SchemaNode;
      expect(
        flagsFromSchema(schema).map((f) => f.field),
        id,
      ).toEqual(Object.keys(schema.properties ?? {}));
    }
    expect(loraI2I.filter((f) => ["loras", "acceleration", "image_size", "seed", "sync_mode"].includes(f.field)).map((f) => [f.flag, f.kind])).toEqual([
      ["sync-mode", "boolean"],
      ["seed", "integer"],
      ["loras", "json"],
      ["acceleration", "string"],
      ["image-size", "json"],
    ]);
  });

  it("--help shows enums, presets, ranges, defaults and required", () => {
    const help = helpText(dev);
    expect(help).toContain("--num-inference-steps <integer>");
    expect(help).toMatch(/range 10\.\.50, default 40/);
    expect(help).toContain("--acceleration <none|regular|high>");
    expect(helpText(lora)).toContain("--image-size <square_hd|square|portrait_4_3|portrait_16_9|landscape_4_3|landscape_16_9|WxH|json>");
    expect(helpText(lora)).toContain("--acceleration <none|regular>");
    expect(help).toMatch(/--prompt <string>\n.*\(required\)/);
  });

  it("--help states a field's range and default once, after fal's description", () => {
    const steps = helpText(lora.filter((f) => f.field === "num_inference_steps"));
    expect(steps).toBe("  --num-inference-steps <integer>\n      The number of inference steps to perform. (range 1..50, default 28)");
    for (const f of [...lora, ...dev, ...loraI2I]) expect(f.description, f.field).not.toMatch(/range|default/i);
  });

  it("parses and coerces values", () => {
    const { input, options, positionals } = parseFlags(
      lora,
      [
        "fal-ai/flux-lora",
        "--prompt",
        "a fox",
        "--image-size",
        "landscape_16_9",
        "--num-images",
        "2",
        "--guidance-scale",
        "3.5",
        "--no-enable-safety-checker",
        "--loras",
        '[{"path":"x"}]',
        "--json",
      ],
      { json: { type: "boolean" } },
    );
    expect(input).toEqual({
      prompt: "a fox",
      image_size: "landscape_16_9",
      num_images: 2,
      guidance_scale: 3.5,
      enable_safety_checker: false,
      loras: [{ path: "x" }],
    });
    expect(options).toEqual({ json: true });
    expect(positionals).toEqual(["fal-ai/flux-lora"]);
    expect(parseFlags(lora, ["--image-size", '{"width":640,"height":480}'], {}).input).toEqual({ image_size: { width: 640, height: 480 } });
    expect(parseFlags(lora, ["--image-size", '{"width":800}'], {}).input).toEqual({ image_size: { width: 800 } });
    expect(parseFlags(loraI2I, ["--image-size", "800x600"], {}).input).toEqual({ image_size: { width: 800, height: 600 } });
    expect(parseFlags(loraI2I, ["--loras", '[{"path":"owner/style","scale":0.8}]', "--acceleration", "regular", "--seed", "7"], {}).input).toEqual({
      loras: [{ path: "owner/style", scale: 0.8 }],
      acceleration: "regular",
      seed: 7,
    });
    expect(() => parseFlags(lora, ["--image-size", "wide"], {})).toThrow(
      '--image-size: expected one of square_hd, square, portrait_4_3, portrait_16_9, landscape_4_3, landscape_16_9, WxH (e.g. 800x600) or JSON (got "wide")',
    );
  });

  it("reports every bad flag at once", () => {
    try {
      parseFlags(dev, ["--num-images", "two", "--strength", "x", "--acceleration", "turbo", "--seed", "1.5"], {});
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(FlagError);
      expect((error as FlagError).problems).toEqual([
        '--strength: expected a number (got "x")',
        '--num-images: expected an integer (got "two")',
        '--acceleration: expected one of none, regular, high (got "turbo")',
        '--seed: expected a whole number (got "1.5")',
      ]);
    }
  });

  it("refuses unknown flags", () => {
    expect(() => parseFlags(lora, ["--prompt", "x", "--colour", "red"], {})).toThrow(/Unknown option '--colour'/);
  });

  it("collects every problem without stopping: unknown flags (with a suggestion), missing values, bad values", () => {
    const collected = collectFlags(lora, ["--promt", "a fox", "--num-images", "x", "--seed", "-3", "--json=1", "--guidance-scale"], {
      json: { type: "boolean" },
    });
    expect(collected.problems).toEqual([
      "Unknown option '--promt'. Did you mean --prompt?",
      '--json takes no value (got "1").',
      "--guidance-scale: needs a value.",
      '--num-images: expected an integer (got "x")',
    ]);
    // The unknown flag's value is not taken for an argument; a negative number is a value.
    expect(collected.positionals).toEqual([]);
    expect(collected.input).toEqual({ seed: -3 });
    expect([...collected.failedFields].sort()).toEqual(["guidance_scale", "num_images"]);
    expect(collectFlags(lora, ["--prompt", "x", "--", "--not-a-flag"], {}).positionals).toEqual(["--not-a-flag"]);
  });
});
