import { describe, expect, it } from "vitest";
import { TimeoutError } from "../src/index.js";
import { fluxLora } from "./fixtures/endpoints.js";
import { CHAINHUB, hang, json, observedFetch, route, settle, submitted, testClient } from "./helpers.js";

const input = { prompt: "a cat" };
const SUBMIT = "POST /fal-ai/flux-lora";

describe("total timeout", () => {
  it("cancels the server job within the timeout and rejects with TimeoutError while polling", async () => {
    const { fetch, callsTo } = observedFetch({
      [SUBMIT]: json(200, submitted("t1")),
      [route("GET", "t1", "/status")]: json(202, { status: "IN_QUEUE", queue_position: 4 }),
      [route("PUT", "t1", "/cancel")]: json(202, { status: "CANCELLATION_REQUESTED" }),
    });
    const { client, now } = testClient(fetch);
    const error = await client.run(fluxLora, input, { timeout: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ requestId: "t1", cancelConfirmed: true, cancelOutcome: "CANCELLATION_REQUESTED", jobMayExist: false });
    expect((error as Error).message).toMatch(/cancelled \(CANCELLATION_REQUESTED\)/);
    const cancels = callsTo(route("PUT", "t1", "/cancel"));
    expect(cancels.map((c) => c.url)).toEqual([`${CHAINHUB}/fal-ai/flux-lora/requests/t1/cancel`]);
    // Waiting stopped a fifth early (at most 5 s), so the cancel fits in the 10 s.
    expect(now()).toBeGreaterThanOrEqual(8_000);
    expect(now()).toBeLessThanOrEqual(10_000);
  });

  it("interrupts a request in flight when the deadline passes", async () => {
    const { fetch, callsTo } = observedFetch({
      [SUBMIT]: json(200, submitted("t2")),
      [route("GET", "t2", "/status")]: hang(),
      [route("PUT", "t2", "/cancel")]: json(400, { status: "ALREADY_COMPLETED" }),
    });
    const { client, advance } = testClient(fetch);
    const outcome = client.run(fluxLora, input, { timeout: 5_000 }).catch((e: unknown) => e);
    await settle(50);
    expect(callsTo(route("GET", "t2", "/status"))).toHaveLength(1);
    advance(5_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain("ALREADY_COMPLETED");
    expect(callsTo(route("PUT", "t2", "/cancel"))).toHaveLength(1);
  });

  it("still rejects with TimeoutError, saying so, when cancelling fails", async () => {
    const { fetch } = observedFetch({
      [SUBMIT]: json(200, submitted("t3")),
      [route("GET", "t3", "/status")]: json(202, { status: "IN_PROGRESS" }),
      [route("PUT", "t3", "/cancel")]: json(404, { detail: "not found" }),
    });
    const { client } = testClient(fetch);
    const error = await client.run(fluxLora, input, { timeout: 3_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ requestId: "t3", cancelConfirmed: false, jobMayExist: true });
    expect((error as Error).message).toMatch(/Cancelling request t3 was not confirmed/);
  });

  it("during the submit: aborts it, cannot cancel (no id), and says a job may exist", async () => {
    const { fetch, calls } = observedFetch({ [SUBMIT]: hang() });
    const { client, advance } = testClient(fetch);
    const outcome = client.run(fluxLora, input, { timeout: 1_000 }).catch((e: unknown) => e);
    await settle();
    advance(1_000);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/may have been created/);
    expect(error).toMatchObject({ jobMayExist: true, cancelConfirmed: false });
    expect(calls).toHaveLength(1);
  });

  it("subscribe has the same timeout behaviour", async () => {
    const { fetch, callsTo } = observedFetch({
      [route("GET", "t4", "/status")]: json(202, { status: "IN_QUEUE", queue_position: 1 }),
      [route("PUT", "t4", "/cancel")]: json(202, { status: "CANCELLATION_REQUESTED" }),
    });
    const { client } = testClient(fetch);
    await expect(client.subscribe({ endpoint: fluxLora, requestId: "t4" }, { timeout: 2_000 })).rejects.toBeInstanceOf(TimeoutError);
    expect(callsTo(route("PUT", "t4", "/cancel"))).toHaveLength(1);
  });

  it("does not fire after the job finished in time", async () => {
    const { fetch, calls } = observedFetch({
      [SUBMIT]: json(200, submitted("t5")),
      [route("GET", "t5", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "t5")]: json(200, { images: [] }),
    });
    const { client, advance } = testClient(fetch);
    await client.run(fluxLora, input, { timeout: 1_000 });
    advance(5_000);
    await settle();
    expect(calls.filter((c) => c.method === "PUT")).toHaveLength(0);
  });
});
