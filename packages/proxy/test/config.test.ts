/**
 * A proxy that could not run safely does not start: every missing or wrong setting is a
 * ProxyConfigError naming the option and what to do, never quoting the token.
 */
import { fluxLora } from "@fluxkit/flux-lora";
import { fluxLoraImageToImage } from "@fluxkit/flux-lora-image-to-image";
import { describe, expect, it } from "vitest";
import { createProxy, createSubmitLimiter, ProxyConfigError, type ProxyOptions } from "../src/index.js";
import { SECRET, TOKEN } from "./helpers.js";

const base: ProxyOptions = { endpoints: [fluxLora], provider: "fal", token: TOKEN, secret: SECRET, authorize: () => "alice", env: {} };

function configError(options: ProxyOptions): ProxyConfigError {
  try {
    createProxy(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ProxyConfigError);
    expect((error as Error).message).not.toContain(TOKEN);
    return error as ProxyConfigError;
  }
  throw new Error("expected a ProxyConfigError");
}

describe("createProxy refuses to start", () => {
  it.each([
    ["without an authorize hook or allowAnonymous", { authorize: undefined }, "authorize", /No authorize hook.*allowAnonymous: true/],
    ["with both authorize and allowAnonymous", { allowAnonymous: true }, "allowAnonymous", /either authorize or allowAnonymous/],
    ["without endpoints", { endpoints: [] }, "endpoints", /No endpoints: list the endpoints this proxy serves/],
    ["with an endpoint listed twice", { endpoints: [fluxLora, fluxLora] }, "endpoints", /fal-ai\/flux-lora is listed twice/],
    ["with something that is not an endpoint", { endpoints: [{ id: "x" } as never] }, "endpoints", /lacks id, app or submitPath/],
    [
      "with an endpoint its provider does not serve",
      { provider: "kkiai", token: TOKEN },
      "endpoints",
      /fal-ai\/flux-lora is not served by kkiai \(its servers: chainhub, fal\)/,
    ],
    ["without a token", { token: undefined }, "token", /set FAL_KEY or FLUXKIT_TOKEN/],
    ["with a token that carries a newline", { token: `${TOKEN}\n` }, "token", /whitespace or control characters/],
    ["without a secret", { secret: undefined }, "secret", /No secret.*FLUXKIT_PROXY_SECRET.*at least 32/],
    ["with a short secret", { secret: "short" }, "secret", /A too short secret/],
    ["with the token as the secret", { secret: TOKEN.repeat(2), token: TOKEN.repeat(2) }, "secret", /must not be the provider token/],
    ["with a bad base path", { basePath: "api/../fal" }, "basePath", /Invalid basePath/],
    ["with a body cap that is not a size", { maxBodyBytes: 1.5 }, "maxBodyBytes", /whole number of bytes/],
    ["with an unknown provider", { provider: "acme" as never }, "provider", /Unknown provider "acme"/],
    ["with a provider URL that is not http", { provider: { baseUrl: "file:///tmp", auth: "key" } }, "provider", /only http and https/],
  ] as [string, Partial<ProxyOptions>, string, RegExp][])("%s", (_name, change, option, message) => {
    const error = configError({ ...base, ...change });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
  });

  it("reads the token and the secret from the server's environment", () => {
    const handler = createProxy({ ...base, token: undefined, secret: undefined, env: { FAL_KEY: TOKEN, FLUXKIT_PROXY_SECRET: SECRET } });
    expect(typeof handler).toBe("function");
    expect(() => createProxy({ ...base, endpoints: [fluxLoraImageToImage], provider: "kkiai", token: undefined, env: { KKIAI_TOKEN: TOKEN } })).not.toThrow();
  });
});

describe("createSubmitLimiter", () => {
  it("allows max submits per caller per window, says when to come back, and never counts follow-ups", async () => {
    let now = 1_000_000;
    const limit = createSubmitLimiter({ max: 2, windowMs: 60_000, now: () => now });
    const ask = (caller: string, route: "submit" | "status" = "submit") =>
      limit({ caller, route, app: "fal-ai/flux-lora", endpointId: undefined, request: new Request("http://x/") });
    expect(await ask("alice")).toEqual({ allowed: true });
    expect(await ask("alice")).toEqual({ allowed: true });
    expect(await ask("alice", "status")).toEqual({ allowed: true });
    now += 15_000;
    expect(await ask("alice")).toEqual({ allowed: false, retryAfterSeconds: 45, message: "2 submits per 60 s" });
    expect(await ask("bob")).toEqual({ allowed: true });
    now += 45_000;
    expect(await ask("alice")).toEqual({ allowed: true });
  });
});
