import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { JsonObject } from "../src/json.js";
import { apifoxNoise } from "../src/normalize/rules/apifox-noise.js";
import { openapi31 } from "../src/normalize/rules/openapi-31.js";
import { operationIds, requiredRequestBody } from "../src/normalize/rules/operations.js";
import { parseProse, proseConstraints } from "../src/normalize/rules/prose-constraints.js";
import { queueProtocol } from "../src/normalize/rules/queue-protocol.js";
import { security } from "../src/normalize/rules/security.js";
import { fixServerUrl, serverUrls } from "../src/normalize/rules/server-urls.js";
import { RuleError, type Rule } from "../src/normalize/rules/types.js";

const protocol = parse(readFileSync(new URL("../../specs/queue.yaml", import.meta.url), "utf8")) as JsonObject;

function run(rule: Rule, doc: JsonObject): string[] {
  const log: string[] = [];
  rule.apply(doc, { file: "fixture.yaml", report: (m) => log.push(m) });
  return log;
}

const endpointDoc = (): JsonObject => ({
  openapi: "3.0.1",
  paths: {
    "/fal-ai/flux-lora/image-to-image": {
      post: {
        requestBody: { content: { "application/json": { schema: { type: "object", required: ["prompt"], properties: { prompt: { type: "string" } } } } } },
        responses: { "200": { description: "", content: { "application/json": { schema: { type: "object", properties: {} } } } } },
      },
    },
  },
});

describe("server-urls", () => {
  it.each([
    ["https:/api.chainhub.tech", "https://api.chainhub.tech"],
    ["https//api.chainhub.tech", "https://api.chainhub.tech"],
    ["https:///api.chainhub.tech/", "https://api.chainhub.tech"],
    ["HTTPS:/x.io", "https://x.io"],
    ["https://fine.example", "https://fine.example"],
  ])("fixes %s", (input, expected) => expect(fixServerUrl(input)).toBe(expected));

  it("rewrites the document and reports the change", () => {
    const doc: JsonObject = { servers: [{ url: "https:/api.chainhub.tech" }] };
    expect(run(serverUrls, doc)).toEqual(["servers[0].url: https:/api.chainhub.tech → https://api.chainhub.tech"]);
    expect(doc.servers).toEqual([{ url: "https://api.chainhub.tech" }]);
  });

  it.each([["api.chainhub.tech"], ["ftp://x.io"], ["http://remote.example"], ["https://"]])("refuses %s", (url) => {
    expect(() => run(serverUrls, { servers: [{ url }] })).toThrow(RuleError);
  });
});

describe("apifox-noise", () => {
  it("drops x-apifox-* keys and applies x-apifox-orders to properties first", () => {
    const doc: JsonObject = {
      "x-apifox-folder": "f",
      s: { properties: { b: {}, a: {} }, "x-apifox-orders": ["a", "b"] },
      p: { "x-run-in-apifox": "u", keep: 1 },
    };
    run(apifoxNoise, doc);
    expect(doc).toEqual({ s: { properties: { a: {}, b: {} } }, p: { keep: 1 } });
    expect(Object.keys((doc.s as JsonObject).properties as JsonObject)).toEqual(["a", "b"]);
  });
});

describe("prose-constraints", () => {
  it.each([
    ["Range value: 1-50", "integer", { minimum: 1, maximum: 50 }],
    ["Strength, range: 0.01-1", "number", { minimum: 0.01, maximum: 1 }],
    ["Enable security checks. Default value: true", "boolean", { default: true }],
    ['Default: "jpeg" Supported formats: default, png, jpeg', "string", { default: "jpeg", enum: ["default", "png", "jpeg"] }],
    ["Default: 40. Range: 10-50.", "integer", { minimum: 10, maximum: 50, default: 40 }],
    ["Image dimensions, enumerated values: square, square pro", "string", { enum: ["square", "square pro"] }],
    ["Image URL, accepted file types: jpg, png", "string", {}],
  ])("%s (%s)", (text, type, expected) => expect(parseProse(text, type).found).toEqual(expected));

  it("does not guess when the prose does not fit the type", () => {
    expect(parseProse("Range: 0.5-2", "integer")).toEqual({ found: {}, skipped: [expect.stringContaining("does not fit type integer")], phrases: {} });
    expect(parseProse("Default: maybe", "boolean").skipped).toHaveLength(1);
    expect(parseProse("Range: 5-1", "number").skipped[0]).toMatch(/minimum above maximum/);
  });

  it.each([
    ["Range value: 1-50", "integer", undefined],
    ["Number of images, range: 1-4", "integer", "Number of images"],
    ["Enable security checks. Default value: true", "boolean", "Enable security checks."],
    ["Number of inference steps to be performed. Default: 40. Range: 10-50.", "integer", "Number of inference steps to be performed."],
    ['The format for generating the image. Default: "jpeg" Supported formats: default, png, jpeg', "string", "The format for generating the image."],
    ["Image dimensions, enumerated values: square, square pro", "string", "Image dimensions"],
    ["Image URL, accepted file types: jpg, png", "string", "Image URL, accepted file types: jpg, png"],
  ])("takes the lifted phrase out of %j", (description, type, expected) => {
    const doc = endpointDoc();
    const body = (((doc.paths as JsonObject)["/fal-ai/flux-lora/image-to-image"] as JsonObject).post as JsonObject).requestBody as JsonObject;
    const props = (((body.content as JsonObject)["application/json"] as JsonObject).schema as JsonObject).properties as JsonObject;
    props.n = { type, description };
    run(proseConstraints, doc);
    expect((props.n as JsonObject).description).toBe(expected);
  });

  it("keeps a constraint the schema states and reports the disagreement", () => {
    const doc = endpointDoc();
    const schema = (((doc.paths as JsonObject)["/fal-ai/flux-lora/image-to-image"] as JsonObject).post as JsonObject).requestBody as JsonObject;
    const props = (((schema.content as JsonObject)["application/json"] as JsonObject).schema as JsonObject).properties as JsonObject;
    props.n = { type: "integer", maximum: 8, description: "Range: 1-4" };
    const log = run(proseConstraints, doc);
    expect(props.n).toMatchObject({ minimum: 1, maximum: 8, description: "Range: 1-4" });
    expect(log.some((l) => l.includes("description says maximum 4, schema says 8"))).toBe(true);
  });
});

describe("openapi-3.1", () => {
  it("turns nullable into a type union and example into examples", () => {
    const doc: JsonObject = {
      openapi: "3.0.1",
      components: { schemas: { A: { type: "integer", nullable: true, example: 3, exclusiveMinimum: true, minimum: 0 } } },
    };
    run(openapi31, doc);
    expect(doc.openapi).toBe("3.1.0");
    expect((doc.components as JsonObject).schemas).toEqual({ A: { type: ["integer", "null"], examples: [3], exclusiveMinimum: 0 } });
  });
});

describe("operations", () => {
  it("marks request bodies required and names unnamed operations", () => {
    const doc = endpointDoc();
    run(requiredRequestBody, doc);
    run(operationIds, doc);
    const op = (doc.paths as JsonObject)["/fal-ai/flux-lora/image-to-image"] as JsonObject;
    expect((op.post as JsonObject).requestBody).toMatchObject({ required: true });
    expect((op.post as JsonObject).operationId).toBe("postFalAiFluxLoraImageToImage");
  });
});

describe("queue-protocol", () => {
  it("types the submit answer and adds follow-up routes under owner/app only", () => {
    const doc = endpointDoc();
    run(queueProtocol(protocol), doc);
    const paths = doc.paths as JsonObject;
    expect(Object.keys(paths).sort()).toEqual([
      "/fal-ai/flux-lora/image-to-image",
      "/fal-ai/flux-lora/requests/{request_id}",
      "/fal-ai/flux-lora/requests/{request_id}/cancel",
      "/fal-ai/flux-lora/requests/{request_id}/status",
      "/fal-ai/flux-lora/requests/{request_id}/status/stream",
    ]);
    const submit = (paths["/fal-ai/flux-lora/image-to-image"] as JsonObject).post as JsonObject;
    expect(submit.operationId).toBe("submit");
    expect(((submit.responses as JsonObject)["200"] as JsonObject).content).toEqual({
      "application/json": { schema: { $ref: "#/components/schemas/QueueSubmitResponse" } },
    });
    expect(((doc.components as JsonObject).schemas as JsonObject).Input).toMatchObject({ required: ["prompt"] });
  });

  it("refuses a document with no submit route", () => {
    expect(() => run(queueProtocol(protocol), { openapi: "3.0.1", paths: {} })).toThrow(/exactly one submit/);
  });
});

describe("security", () => {
  it("declares bearer and fal Key and requires one on every operation", () => {
    const doc = endpointDoc();
    run(security, doc);
    expect(Object.keys((doc.components as JsonObject).securitySchemes as JsonObject)).toEqual(["bearer", "falKey"]);
    expect(doc.security).toEqual([{ bearer: [] }, { falKey: [] }]);
  });
});
