import { describe, expect, it } from "vitest";
import { AuthenticationError, ConnectionError, ForeignUrlError, createQueueClient, type QueueHandle } from "../src/index.js";
import { createRedactor } from "../src/redact.js";
import { HttpClient } from "../src/http.js";
import { resolveProvider } from "../src/providers.js";
import { RetryBudget } from "../src/retry.js";
import { fluxLora, sampleOutput } from "./fixtures/endpoints.js";
import { CHAINHUB, TOKEN, json, observedFetch, route, submitted, testClient, virtualClock } from "./helpers.js";

const input = { prompt: "a cat" };

describe("credential scoping", () => {
  it("refuses a response URL on an unknown host and never requests it", async () => {
    const { fetch, calls } = observedFetch({ "POST /fal-ai/flux-lora": json(200, submitted("f1", "https://evil.example")) });
    const { client } = testClient(fetch);
    const error = await client.run(fluxLora, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForeignUrlError);
    expect((error as Error).message).toContain("https://evil.example");
    expect((error as Error).message).toContain("allowForeignUrls");
    expect(calls.map((c) => new URL(c.url).origin)).toEqual([CHAINHUB]);
  });

  it("refuses non-http schemes even with allowForeignUrls", async () => {
    const body = { ...submitted("f2"), status_url: "file:///etc/passwd" };
    const { fetch, calls } = observedFetch({ "POST /fal-ai/flux-lora": json(200, body) });
    const { client } = testClient(fetch, { allowForeignUrls: true });
    await expect(client.run(fluxLora, input)).rejects.toBeInstanceOf(ForeignUrlError);
    expect(calls).toHaveLength(1);
  });

  it("rebases an unknown host onto the provider only when explicitly allowed", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("f3", "https://mirror.example")),
      [route("GET", "f3", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "f3")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch, { allowForeignUrls: true });
    await client.run(fluxLora, input);
    expect(calls.map((c) => new URL(c.url).origin)).toEqual([CHAINHUB, CHAINHUB, CHAINHUB]);
  });

  it("refuses a stored handle whose URLs were tampered with", async () => {
    const { fetch, calls } = observedFetch({});
    const { client } = testClient(fetch);
    const tampered: QueueHandle = {
      requestId: "f4",
      endpointId: "fal-ai/flux-lora",
      statusUrl: "https://attacker.example/steal/status",
      responseUrl: `${CHAINHUB}/fal-ai/flux-lora/requests/f4`,
      cancelUrl: `${CHAINHUB}/fal-ai/flux-lora/requests/f4/cancel`,
    };
    await expect(client.status(tampered)).rejects.toBeInstanceOf(ForeignUrlError);
    expect(calls).toHaveLength(0);
  });

  it("keeps a custom base URL's path prefix and rebases fal URLs under it", async () => {
    const { fetch, calls } = observedFetch({
      "POST /gw/fal-ai/flux-lora": json(200, submitted("f5")),
      "GET /gw/fal-ai/flux-lora/requests/f5/status": json(200, { status: "COMPLETED" }),
      "GET /gw/fal-ai/flux-lora/requests/f5": json(200, sampleOutput),
    });
    const { client } = testClient(fetch, { provider: { baseUrl: "https://proxy.example/gw/", auth: "key" } });
    await client.run(fluxLora, input);
    expect(calls.map((c) => c.url)).toEqual([
      "https://proxy.example/gw/fal-ai/flux-lora",
      "https://proxy.example/gw/fal-ai/flux-lora/requests/f5/status",
      "https://proxy.example/gw/fal-ai/flux-lora/requests/f5",
    ]);
    expect(calls.every((c) => c.headers.authorization === `Key ${TOKEN}`)).toBe(true);
  });

  it("sends the token only with the provider's own origin (same-origin response URLs kept as is)", async () => {
    const { fetch, calls } = observedFetch({
      "POST /fal-ai/flux-lora": json(200, submitted("f6", CHAINHUB)),
      [route("GET", "f6", "/status")]: json(200, { status: "COMPLETED" }),
      [route("GET", "f6")]: json(200, sampleOutput),
    });
    const { client } = testClient(fetch);
    await client.run(fluxLora, input);
    for (const call of calls) {
      expect(new URL(call.url).origin).toBe(CHAINHUB);
      expect(call.headers.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });
});

describe("the HTTP layer's own guard", () => {
  it("refuses any URL off the provider's origin before fetch is called", async () => {
    const { fetch, calls } = observedFetch({});
    const http = new HttpClient({
      provider: resolveProvider("chainhub"),
      token: TOKEN,
      fetch,
      retry: false,
      budgets: { submit: new RetryBudget(0), followUp: new RetryBudget(0) },
      clock: virtualClock().clock,
      random: () => 0.5,
      headers: {},
      redact: createRedactor([TOKEN]),
      allowForeignUrls: false,
      maxResponseBytes: 1 << 20,
      requestTimeoutMs: 0,
    });
    for (const url of ["https://queue.fal.run/x", "http://api.chainhub.tech/x", "https://api.chainhub.tech.evil.example/x"]) {
      await expect(http.json({ method: "GET", url, kind: "idempotent", operation: "status" })).rejects.toBeInstanceOf(ForeignUrlError);
    }
    expect(calls).toHaveLength(0);
  });
});

describe("tokens", () => {
  const clientWith = (options: Parameters<typeof createQueueClient>[0]) => {
    const { fetch, calls } = observedFetch({ "POST /fal-ai/flux-lora": json(200, submitted("e1")) });
    const client = createQueueClient({ ...options, fetch, clock: virtualClock().clock });
    return { submit: () => client.submit(fluxLora, input), calls };
  };

  it("prefers the provider's variable, then FLUXKIT_TOKEN", async () => {
    const both = clientWith({ provider: "chainhub", env: { CHAINHUB_TOKEN: "chain-token", FLUXKIT_TOKEN: "generic-token" } });
    await both.submit();
    expect(both.calls[0]?.headers.authorization).toBe("Bearer chain-token");

    const generic = clientWith({ provider: "kkiai", env: { CHAINHUB_TOKEN: "chain-token", FLUXKIT_TOKEN: "generic-token" } });
    await generic.submit();
    expect(generic.calls[0]?.headers.authorization).toBe("Bearer generic-token");

    const fal = clientWith({ provider: "fal", env: { FAL_KEY: "fal-key-1" } });
    await fal.submit();
    expect(fal.calls[0]?.headers.authorization).toBe("Key fal-key-1");
  });

  it("an explicit token wins over the environment", async () => {
    const c = clientWith({ provider: "chainhub", token: "explicit-1", env: { CHAINHUB_TOKEN: "env-token" } });
    await c.submit();
    expect(c.calls[0]?.headers.authorization).toBe("Bearer explicit-1");
  });

  it("fails fast, naming the variables, when a preset has no token", () => {
    expect(() => createQueueClient({ provider: "kkiai", env: {} })).toThrow(AuthenticationError);
    expect(() => createQueueClient({ provider: "kkiai", env: {} })).toThrow(/KKIAI_TOKEN or FLUXKIT_TOKEN/);
  });

  it("lets a custom provider (e.g. a local emulator) run without a token", async () => {
    const c = clientWith({ provider: { baseUrl: "http://127.0.0.1:9999", auth: "bearer" }, env: {} });
    await c.submit();
    expect(c.calls[0]?.headers.authorization).toBeUndefined();
  });
});

describe("token redaction", () => {
  it("never puts the token in an error message or detail, even when the server echoes it", async () => {
    const { fetch } = observedFetch({
      "POST /fal-ai/flux-lora": json(401, { detail: `Invalid token: Bearer ${TOKEN}`, error_type: "auth" }),
    });
    const { client } = testClient(fetch);
    const error = await client.run(fluxLora, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    const seen = `${String(error)} ${JSON.stringify(error)} ${JSON.stringify((error as AuthenticationError).detail)}`;
    expect(seen).not.toContain(TOKEN);
    expect(seen).toContain("[redacted]");
  });

  it("redacts transport error messages and non-JSON bodies too", async () => {
    const { fetch } = observedFetch({
      "POST /fal-ai/flux-lora": () => {
        throw new TypeError(`proxy rejected Authorization: Bearer ${TOKEN}`);
      },
      [route("GET", "x1", "/status")]: () => new Response(`<html>token ${TOKEN} expired</html>`, { status: 502 }),
    });
    const { client } = testClient(fetch, { retry: false });
    const transport = await client.submit(fluxLora, input).catch((e: unknown) => e);
    expect(transport).toBeInstanceOf(ConnectionError);
    expect((transport as Error).message).not.toContain(TOKEN);
    const html = await client.status({ endpoint: fluxLora, requestId: "x1" }).catch((e: unknown) => e);
    expect(`${(html as Error).message} ${JSON.stringify((html as { detail: unknown }).detail)}`).not.toContain(TOKEN);
  });
});
