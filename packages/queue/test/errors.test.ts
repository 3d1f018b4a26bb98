import { describe, expect, it } from "vitest";
// The public error kinds, as a caller imports them.
import * as kinds from "../src/index.js";
import { fluxLora } from "./fixtures/endpoints.js";
import { json, observedFetch, route, testClient, transportError, type Responder } from "./helpers.js";

const job = { endpoint: fluxLora, requestId: "e1" };

async function statusError(responder: Responder): Promise<kinds.FluxkitError> {
  const { fetch } = observedFetch({ [route("GET", "e1", "/status")]: responder });
  const { client } = testClient(fetch, { retry: false });
  const error: unknown = await client.status(job).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(kinds.FluxkitError);
  return error as kinds.FluxkitError;
}

describe("error kinds", () => {
  it.each([401, 403])("%i → AuthenticationError", async (status) => {
    const error = await statusError(json(status, { detail: "Invalid key" }, { "x-fal-request-id": "gw-1" }));
    expect(error).toBeInstanceOf(kinds.AuthenticationError);
    expect(error).toMatchObject({ status, requestId: "gw-1", retryable: false });
    expect(error.message).toMatch(/Invalid key.*token/);
  });

  it("422 detail[] → ValidationError with one issue per field", async () => {
    const error = await statusError(
      json(422, {
        detail: [
          { loc: ["body", "num_images"], msg: "ensure this value is less than or equal to 4", type: "value_error.number.not_le" },
          { loc: ["body", "loras", 0, "scale"], msg: "too big", type: "value_error" },
        ],
      }),
    );
    expect(error).toBeInstanceOf(kinds.ValidationError);
    expect((error as kinds.ValidationError).issues).toEqual([
      { path: "num_images", message: "ensure this value is less than or equal to 4", keyword: "value_error.number.not_le" },
      { path: "loras.0.scale", message: "too big", keyword: "value_error" },
    ]);
    expect(error.message).toContain("loras.0.scale: too big");
  });

  it("422 with a string detail → ValidationError with a root issue", async () => {
    const error = await statusError(json(422, { detail: "Image could not be decoded" }));
    expect((error as kinds.ValidationError).issues).toEqual([{ path: "", message: "Image could not be decoded", keyword: "server" }]);
  });

  it("429 → RateLimitError with retryAfterMs", async () => {
    const error = await statusError(json(429, { detail: "slow" }, { "retry-after": "3" }));
    expect(error).toBeInstanceOf(kinds.RateLimitError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 3000, retryable: true });
  });

  it("5xx → ServerError with error type from X-Fal-Error-Type or the body", async () => {
    const fromHeader = await statusError(json(500, { detail: "boom" }, { "x-fal-error-type": "internal_error" }));
    expect(fromHeader).toBeInstanceOf(kinds.ServerError);
    expect(fromHeader).toMatchObject({ errorType: "internal_error", retryable: false, detail: "boom" });
    const fromBody = await statusError(json(503, { detail: "no runners", error_type: "runner_unavailable" }));
    expect(fromBody).toMatchObject({ errorType: "runner_unavailable", retryable: true });
  });

  it("504 with timeout type user → TimeoutError", async () => {
    const error = await statusError(json(504, { detail: "start deadline" }, { "x-fal-request-timeout-type": "user" }));
    expect(error).toBeInstanceOf(kinds.TimeoutError);
  });

  it("other 4xx → RequestError; the job's request id is kept", async () => {
    const error = await statusError(json(404, { detail: "Request not found" }));
    expect(error).toBeInstanceOf(kinds.RequestError);
    expect(error).toMatchObject({ status: 404, requestId: "e1" });
  });

  it("malformed JSON → ProtocolError", async () => {
    const error = await statusError(() => new Response("{not json", { status: 202 }));
    expect(error).toBeInstanceOf(kinds.ProtocolError);
  });

  it("transport failure → ConnectionError with the cause (its messages redacted, name and code kept)", async () => {
    const error = await statusError(transportError("ECONNRESET"));
    expect(error).toBeInstanceOf(kinds.ConnectionError);
    expect(error).toMatchObject({ retryable: true });
    expect(error.cause).toMatchObject({ name: "TypeError", message: "fetch failed", cause: { code: "ECONNRESET" } });
    expect(error.message).toContain("ECONNRESET");
  });

  it("every kind has a distinct name for logs", () => {
    const names = [
      kinds.AuthenticationError,
      kinds.ConnectionError,
      kinds.ProtocolError,
      kinds.RateLimitError,
      kinds.RequestError,
      kinds.ServerError,
      kinds.TimeoutError,
    ].map((E) => new E("x", undefined as never).name);
    expect(new Set(names).size).toBe(names.length);
    expect(new kinds.ValidationError("x", []).name).toBe("ValidationError");
  });
});
