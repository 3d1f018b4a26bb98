import { describe, expect, it } from "vitest";
import {
  MissingTokenError,
  authorizationValue,
  findToken,
  isProviderName,
  providerNames,
  providerPresets,
  requireToken,
  serverConnection,
  tokenVariables,
} from "../src/index.js";

describe("provider table", () => {
  it("holds every provider of specs/providers.yaml with its auth and token variable", () => {
    expect(providerNames).toEqual(["chainhub", "kkiai", "fal"]);
    expect(providerPresets.fal).toEqual({ baseUrl: "https://queue.fal.run", auth: "key", tokenEnv: "FAL_KEY" });
    expect(providerPresets.chainhub.auth).toBe("bearer");
    expect(isProviderName("kkiai")).toBe(true);
    expect(isProviderName("toString")).toBe(false);
  });
});

describe("auth header and token", () => {
  it("writes the Authorization value for each scheme", () => {
    expect(authorizationValue("bearer", "t0k")).toBe("Bearer t0k");
    expect(authorizationValue("key", "t0k")).toBe("Key t0k");
  });

  it("takes the explicit token, then the provider's variable, then FLUXKIT_TOKEN", () => {
    const env = { FAL_KEY: " fal-secret ", FLUXKIT_TOKEN: "generic" };
    expect(findToken("fal", "explicit", env)).toBe("explicit");
    expect(findToken("fal", undefined, env)).toBe("fal-secret");
    expect(findToken("chainhub", undefined, env)).toBe("generic");
    expect(findToken("chainhub", "", { CHAINHUB_TOKEN: "  " })).toBeUndefined();
    expect(findToken(undefined, undefined, env)).toBe("generic");
    expect(tokenVariables("kkiai")).toEqual(["KKIAI_TOKEN", "FLUXKIT_TOKEN"]);
  });

  it("names the variables to set when a preset has no token, and never shows one", () => {
    expect(requireToken("fal", undefined, { FAL_KEY: "fal-secret" })).toBe("fal-secret");
    const error = (() => {
      try {
        requireToken("fal", undefined, { CHAINHUB_TOKEN: "other-secret" });
      } catch (e) {
        return e as MissingTokenError;
      }
    })();
    expect(error).toBeInstanceOf(MissingTokenError);
    expect(error?.message).toBe('No token for provider "fal": pass { token } or set FAL_KEY or FLUXKIT_TOKEN.');
    expect(error?.variables).toEqual(["FAL_KEY", "FLUXKIT_TOKEN"]);
    expect(JSON.stringify({ ...error, message: error?.message })).not.toContain("other-secret");
  });

  it("reads nothing from an environment that throws (Deno without permission)", () => {
    const env = new Proxy(
      {},
      {
        get: () => {
          throw new Error("denied");
        },
      },
    );
    expect(findToken("fal", undefined, env)).toBeUndefined();
  });
});

describe("serverConnection (the generated openapi-fetch clients)", () => {
  const servers = [
    { provider: "chainhub", url: "https://api.chainhub.tech", auth: "bearer" as const },
    { provider: "fal", url: "https://queue.fal.run", auth: "key" as const },
  ];
  it("defaults to the first server and uses the scheme of the server asked for", () => {
    expect(serverConnection(servers, { token: "t" })).toEqual({ baseUrl: "https://api.chainhub.tech", headers: { Authorization: "Bearer t" } });
    expect(serverConnection(servers, { baseUrl: "https://queue.fal.run", token: "t" }).headers).toEqual({ Authorization: "Key t" });
    expect(serverConnection(servers, { baseUrl: "http://127.0.0.1:4000", token: "t", auth: "key" })).toEqual({
      baseUrl: "http://127.0.0.1:4000",
      headers: { Authorization: "Key t" },
    });
    expect(serverConnection(servers).headers).toEqual({});
  });
});
