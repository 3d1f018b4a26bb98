import { describe, expect, it } from "vitest";
import type { JsonObject } from "../src/json.js";
import { applyOverlay, checkOverlay, OverlayError } from "../src/normalize/overlay.js";

const base = (): JsonObject => ({ components: { schemas: { Input: { properties: { f: { type: "string", enum: ["default", "png", "jpeg"] } } } } } });
const overlay = (actions: unknown[]) => checkOverlay("o.yaml", { overlay: "1.0.0", info: { title: "t", version: "1" }, actions });
const why = { description: "because", "x-source": "somewhere" };

describe("overlays", () => {
  it("merges updates into objects, appends to arrays, removes by filter", () => {
    const doc = base();
    applyOverlay(
      "o.yaml",
      doc,
      overlay([
        { target: "$.components.schemas.Input.properties.f.enum[?(@ === 'default')]", remove: true, ...why },
        { target: "$.components.schemas.Input.properties.f.enum", update: "webp", ...why },
        { target: "$.components.schemas.Input.properties", update: { seed: { type: "integer" } }, ...why },
      ]),
    );
    expect(doc).toEqual({
      components: { schemas: { Input: { properties: { f: { type: "string", enum: ["png", "jpeg", "webp"] }, seed: { type: "integer" } } } } },
    });
  });

  it("fails on an action that matches nothing, naming it", () => {
    expect(() => applyOverlay("o.yaml", base(), overlay([{ target: "$.components.schemas.Gone", remove: true, ...why }]))).toThrow(
      /o\.yaml: actions\[0\] \(\$\.components\.schemas\.Gone\) matches nothing/,
    );
  });

  it.each([
    [{ target: "x", remove: true, ...why }, /JSONPath/],
    [{ target: "$.a", remove: true, "x-source": "s" }, /description/],
    [{ target: "$.a", remove: true, description: "d" }, /x-source/],
    [{ target: "$.a", description: "d", "x-source": "s" }, /exactly one of/],
  ])("requires a target, a reason, a source and one change: %j", (action, message) => {
    expect(() => overlay([action])).toThrow(message);
  });

  it("rejects documents that are not Overlay 1.0", () => {
    expect(() => checkOverlay("o.yaml", { overlay: "2.0.0", info: { title: "t", version: "1" }, actions: [] })).toThrow(OverlayError);
  });
});
