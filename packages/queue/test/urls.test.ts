import { describe, expect, it } from "vitest";
import { resolveProvider } from "../src/providers.js";
import { originOf } from "../src/urls.js";

describe("originOf", () => {
  const provider = resolveProvider({ baseUrl: "http://127.0.0.1:8080/gw", auth: "key" });

  // The origin, or "throws": what new URL(...) says of the same string.
  const outcome = (parse: () => string) => {
    try {
      return parse();
    } catch (error) {
      return `throws ${(error as Error).name}`;
    }
  };

  it("agrees with new URL(...).origin on URLs that look like the provider's", () => {
    const urls = [
      "http://127.0.0.1:8080/gw/fal-ai/flux-lora",
      "http://127.0.0.1:8080/",
      "http://127.0.0.1:8080/@evil.example/x",
      "http://127.0.0.1:8080/\\evil.example",
      "http://127.0.0.1:80801/gw",
      "http://127.0.0.1:8080.evil.example/gw",
      "http://127.0.0.1:8080@evil.example/gw",
      "http://127.0.0.1:8080?x=/",
      "http://127.0.0.1:808/gw",
      "http://127.0.0.1:8080#/",
      "http://127.0.0.1:8080",
      "HTTP://127.0.0.1:8080/gw",
      " http://127.0.0.1:8080/gw",
      "https://127.0.0.1:8080/gw",
      "http://evil.example/http://127.0.0.1:8080/",
    ];
    for (const url of urls)
      expect(
        outcome(() => originOf(url, provider)),
        url,
      ).toBe(outcome(() => new URL(url).origin));
  });

  it("throws like new URL on a string that is no URL", () => {
    expect(() => originOf("not a url", provider)).toThrow(TypeError);
  });
});
