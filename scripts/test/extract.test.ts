import { describe, expect, it } from "vitest";
import { ExtractError, extractDocsPage, extractSpec, formatFromName } from "../src/normalize/extract.js";

describe("extract", () => {
  it("takes the fenced YAML block of an Apifox export and where it starts", () => {
    const md = "# title\n\n## OpenAPI\n\n```yaml\nopenapi: 3.0.1\n```\n";
    expect(extractSpec("x.md", md, "apifox-markdown")).toEqual({ kind: "openapi", text: "openapi: 3.0.1\n", firstLine: 6 });
  });

  it("uses plain YAML and JSON files whole", () => {
    expect(extractSpec("x.json", "{}", "json").text).toBe("{}");
  });

  it("fails clearly without a fenced block, or with one never closed", () => {
    expect(() => extractSpec("x.md", "# nothing here", "apifox-markdown")).toThrow(/x\.md: no fenced/);
    expect(() => extractSpec("x.md", "```yaml\nopenapi: 3\n", "apifox-markdown")).toThrow(/never closed/);
  });

  it("reads the endpoint and host a docs page names", () => {
    expect(extractDocsPage("p", "Skip\nPOST https://www.kkiai.com/fal-ai/flux-lora/image-to-image\n")).toEqual({
      kind: "docs-page",
      method: "post",
      path: "/fal-ai/flux-lora/image-to-image",
      origin: "https://www.kkiai.com",
    });
    expect(extractDocsPage("p", "POST /fal-ai/flux-1/dev/image-to-image").origin).toBeNull();
    expect(() => extractDocsPage("p", "no endpoint")).toThrow(ExtractError);
  });

  it("guesses formats from names", () => {
    expect(["a.md", "a.yaml", "a.yml", "a.json", "a.txt"].map(formatFromName)).toEqual(["apifox-markdown", "yaml", "yaml", "json", "docs-page"]);
  });
});
