import { describe, expect, it } from "vitest";
import { FileError } from "../src/file-error.js";
import { ExtractError } from "../src/normalize/extract.js";
import { OverlayError } from "../src/normalize/overlay.js";
import { RuleError } from "../src/normalize/rules/types.js";
import { SourceError } from "../src/normalize/sources.js";
import { FalOpenApiError } from "../src/upstream/fal-openapi.js";
import { SnapshotError } from "../src/upstream/snapshot.js";

describe("errors about one file", () => {
  it.each([
    ["ExtractError", new ExtractError("specs/sources/a.md", "no fenced block")],
    ["OverlayError", new OverlayError("specs/overlays/a.yaml", "no fenced block")],
    ["SourceError", new SourceError("specs/sources/a/provenance.yaml", "no fenced block")],
    ["FalOpenApiError", new FalOpenApiError("specs/sources/fal/a.json", "no fenced block")],
  ])("%s names its step, carries the file and starts its message with it", (name, error) => {
    expect(error).toBeInstanceOf(FileError);
    expect(error.name).toBe(name);
    expect(error.message).toBe(`${error.file}: no fenced block`);
    expect(String(error)).toBe(`${name}: ${error.file}: no fenced block`);
  });

  it("RuleError puts the rule between the file and the message", () => {
    const error = new RuleError("server-urls", "specs/sources/a.yaml", "no servers");
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ name: "RuleError", rule: "server-urls", file: "specs/sources/a.yaml" });
    expect(error.message).toBe("specs/sources/a.yaml: [server-urls] no servers");
  });

  it("SnapshotError is about the upstream snapshot file", () => {
    const error = new SnapshotError("not JSON");
    expect(error).toMatchObject({ name: "SnapshotError", file: "specs/upstream/fal-client-types.json" });
    expect(error.message).toBe("specs/upstream/fal-client-types.json: not JSON");
  });
});
