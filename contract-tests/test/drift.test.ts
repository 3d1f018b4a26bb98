/** The drift reporter itself, on recorded answers (no network). */
import { describe, expect, it } from "vitest";
import { findDrift, schemaForRoute } from "../src/drift.js";
import { loadEndpoints } from "../src/spec-catalog.js";

const endpoint = loadEndpoints().find((e) => e.slug === "flux-lora-image-to-image")!;
const base = "https://api.chainhub.tech/fal-ai/flux-lora/requests/abc";

describe("spec drift", () => {
  it("maps each queue route to its schema, following owner/app", () => {
    expect(schemaForRoute(endpoint, "POST", "/fal-ai/flux-lora/image-to-image", 200)).toBe("#/components/schemas/QueueSubmitResponse");
    expect(schemaForRoute(endpoint, "GET", "/fal-ai/flux-lora/requests/abc/status", 202)).toBe("#/components/schemas/QueueStatus");
    expect(schemaForRoute(endpoint, "GET", "/fal-ai/flux-lora/requests/abc", 200)).toBe("#/components/schemas/Output");
    expect(schemaForRoute(endpoint, "PUT", "/fal-ai/flux-lora/requests/abc/cancel", 202)).toBe("#/components/schemas/CancelResponse");
  });

  it("reports field, expected and got for each mismatch, and nothing for conforming answers", () => {
    const ok = {
      images: [{ url: "https://x/y.jpg", width: 8, height: 8, content_type: "image/jpeg" }],
      timings: {},
      seed: 1,
      has_nsfw_concepts: [false],
      prompt: "p",
    };
    expect(findDrift(endpoint, [{ method: "GET", url: base, status: 200, body: ok }])).toEqual([]);
    const drift = findDrift(endpoint, [
      { method: "GET", url: base, status: 200, body: { ...ok, seed: "one" } },
      { method: "GET", url: `${base}/status`, status: 202, body: { status: "WAITING" } },
    ]);
    expect(drift).toContainEqual({ route: `GET /fal-ai/flux-lora/requests/abc → 200`, field: "/seed", expected: "Output: must be integer", got: '"one"' });
    expect(drift.some((d) => d.route.includes("/status") && d.expected.startsWith("QueueStatus"))).toBe(true);
  });
});
