import { describe, expect, it } from "vitest";
import { followUpPaths, issuesFromFalDetail, requestPath, submitPath, unsupportedKeywords, validateInput } from "../src/index.js";

describe("fal 422 detail → issues", () => {
  it("drops the body prefix and keeps msg and type", () => {
    const detail = [
      { loc: ["body", "num_images"], msg: "Input should be less than or equal to 4", type: "less_than_equal", ctx: { le: 4 } },
      { loc: ["body", "loras", 0, "scale"], msg: "too big", type: "less_than_equal" },
      "garbage",
    ];
    expect(issuesFromFalDetail(detail)).toEqual([
      { path: "num_images", message: "Input should be less than or equal to 4", keyword: "less_than_equal" },
      { path: "loras.0.scale", message: "too big", keyword: "less_than_equal" },
      { path: "", message: "garbage", keyword: "server" },
    ]);
    expect(issuesFromFalDetail("Prompt refused")).toEqual([{ path: "", message: "Prompt refused", keyword: "server" }]);
    expect(issuesFromFalDetail({ nope: 1 })).toEqual([]);
  });

  it("keeps at most 50 entries of a hostile list", () => {
    expect(issuesFromFalDetail(Array.from({ length: 10_000 }, () => ({ loc: ["body"], msg: "x", type: "t" })))).toHaveLength(50);
  });
});

describe("validateInput", () => {
  const schema = {
    type: "object",
    required: ["prompt"],
    properties: { prompt: { type: "string" }, size: { anyOf: [{ enum: ["a", "b"] }, { type: "object", properties: { w: { type: "integer" } } }] } },
  };
  it("reports a missing field at its own path and a failed union once", () => {
    expect(validateInput(schema, { size: { w: 1.5 } })).toEqual([
      { path: "prompt", message: "must have required property 'prompt'", keyword: "required" },
      { path: "size", message: "must match a schema in anyOf", keyword: "anyOf" },
    ]);
    expect(validateInput(schema, { prompt: "p", size: "b" })).toEqual([]);
  });

  it("lists keywords it does not check, so generation can refuse them", () => {
    expect(unsupportedKeywords({ type: "object", properties: { url: { type: "string", format: "uri", description: "d", "x-a": 1 } }, oneOf: [] })).toEqual([
      "/properties/url: format",
      "/: oneOf",
    ]);
  });
});

describe("routes", () => {
  it("derives the submit and follow-up paths", () => {
    expect(submitPath("fal-ai/flux-lora/image-to-image")).toBe("/fal-ai/flux-lora/image-to-image");
    expect(requestPath("fal-ai/flux-lora", "a/b")).toBe("/fal-ai/flux-lora/requests/a%2Fb");
    expect(followUpPaths("/fal-ai/flux-lora/", "r1")).toEqual({
      response: "/fal-ai/flux-lora/requests/r1",
      status: "/fal-ai/flux-lora/requests/r1/status",
      cancel: "/fal-ai/flux-lora/requests/r1/cancel",
    });
  });
});
