/**
 * Upstream form 2: fal's per-endpoint queue OpenAPI, served at
 * `https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=<id>`. OpenAPI 3.0.x whose
 * `info.title` is "Queue OpenAPI for <id>" and `info.x-fal-metadata.endpointId` the id; the
 * submit is `POST /<id>` with body `components.schemas.<Name>Input`, the result
 * `GET /<id>/requests/{request_id}` answers `<Name>Output`; it also carries fal's own queue
 * routes, a `QueueStatus` schema, `apiKeyAuth` (the Authorization header) and the server
 * `https://queue.fal.run`.
 *
 * Two uses: as a vendor source (`specs:import` stores it, normalize turns it into the same
 * shape as any other source: Input/Output, our queue routes from specs/queue.yaml, fal's
 * server with Key auth), and as an upstream form for the conformance check (it states ranges).
 */
import { isObject, type Json, type JsonObject } from "../json.js";
import { openapi31 } from "../normalize/rules/openapi-31.js";
import type { UpstreamDocument, UpstreamLimits } from "./facts.js";
import { FileError } from "../file-error.js";
// The generator runs before any build: protocol's provider table (from specs/providers.yaml) by source path.
import { providerPresets } from "../../../packages/protocol/src/generated/providers.js";

const FAL_QUEUE_URL = providerPresets.fal.baseUrl;

export const FAL_OPENAPI_LIMITS: UpstreamLimits = { integers: true, ranges: true, falsyDefaults: true };

const TITLE = /^Queue OpenAPI for (\S+)$/;
const REF = "#/components/schemas/";

export class FalOpenApiError extends FileError {
  override name = "FalOpenApiError";
}

/** True for a document that says it is one of fal's queue OpenAPI documents. */
export function isFalQueueOpenApi(value: unknown): value is JsonObject {
  if (!isObject(value) || typeof value.openapi !== "string" || !isObject(value.info)) return false;
  const { info } = value;
  return (typeof info.title === "string" && TITLE.test(info.title)) || isObject(info["x-fal-metadata"]);
}

/** The endpoint id the document describes (x-fal-metadata.endpointId, else its title). */
export function falEndpointId(file: string, doc: JsonObject): string {
  const info = isObject(doc.info) ? doc.info : {};
  const meta = isObject(info["x-fal-metadata"]) ? info["x-fal-metadata"] : {};
  const fromMeta = typeof meta.endpointId === "string" ? meta.endpointId : undefined;
  const fromTitle = typeof info.title === "string" ? TITLE.exec(info.title)?.[1] : undefined;
  const id = fromMeta ?? fromTitle;
  if (!id) throw new FalOpenApiError(file, "names no endpoint (expected info.x-fal-metadata.endpointId or the title `Queue OpenAPI for <id>`)");
  if (fromMeta && fromTitle && fromMeta !== fromTitle) {
    throw new FalOpenApiError(file, `info.title names ${fromTitle} but info.x-fal-metadata.endpointId is ${fromMeta}`);
  }
  return id;
}

const schemaName = (node: Json | undefined): string | null =>
  isObject(node) && typeof node.$ref === "string" && node.$ref.startsWith(REF) ? node.$ref.slice(REF.length) : null;

/** The names of the submit body's schema and of the result's schema. */
function inputOutputNames(file: string, doc: JsonObject, id: string): { input: string; output: string } {
  const paths = isObject(doc.paths) ? doc.paths : {};
  const submit = isObject(paths[`/${id}`]) ? (paths[`/${id}`] as JsonObject).post : undefined;
  const body =
    isObject(submit) && isObject(submit.requestBody) && isObject(submit.requestBody.content) ? submit.requestBody.content["application/json"] : undefined;
  const input = schemaName(isObject(body) ? body.schema : undefined);
  const result = isObject(paths[`/${id}/requests/{request_id}`]) ? (paths[`/${id}/requests/{request_id}`] as JsonObject).get : undefined;
  const ok = isObject(result) && isObject(result.responses) ? result.responses["200"] : undefined;
  const okBody = isObject(ok) && isObject(ok.content) ? ok.content["application/json"] : undefined;
  const output = schemaName(isObject(okBody) ? okBody.schema : undefined);
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  if (!input || !isObject(schemas[input])) {
    throw new FalOpenApiError(file, `POST /${id} has no request body schema in components.schemas (expected a $ref to <Name>Input)`);
  }
  if (!output || !isObject(schemas[output])) {
    throw new FalOpenApiError(file, `GET /${id}/requests/{request_id} answers no schema in components.schemas (expected a $ref to <Name>Output)`);
  }
  return { input, output };
}

/** Keys of fal's schemas that carry no API fact: pydantic titles and fal's property order (applied first). */
function clean(node: Json, renames: Map<string, string>): Json {
  if (Array.isArray(node)) return node.map((n) => clean(n, renames));
  if (!isObject(node)) return node;
  const order = Array.isArray(node["x-fal-order-properties"]) ? node["x-fal-order-properties"] : [];
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "title" || key === "x-fal-order-properties") continue;
    if (key === "$ref" && typeof value === "string" && value.startsWith(REF)) {
      const name = value.slice(REF.length);
      out[key] = `${REF}${renames.get(name) ?? name}`;
    } else if (key === "properties" && isObject(value)) {
      const names = [...order.filter((n): n is string => typeof n === "string" && n in value), ...Object.keys(value).filter((n) => !order.includes(n))];
      out[key] = Object.fromEntries(names.map((n) => [n, clean(value[n]!, renames)]));
    } else out[key] = clean(value, renames);
  }
  return out;
}

/** Every schema the Input and Output reach, renamed so the two roots are `Input` and `Output`. */
function endpointSchemas(file: string, doc: JsonObject, id: string): JsonObject {
  const { input, output } = inputOutputNames(file, doc, id);
  const all = (doc.components as JsonObject).schemas as JsonObject;
  for (const clash of ["Input", "Output"]) {
    if (clash in all && clash !== input && clash !== output)
      throw new FalOpenApiError(file, `components.schemas.${clash} would clash with the renamed ${input}/${output}`);
  }
  const renames = new Map([
    [input, "Input"],
    [output, "Output"],
  ]);
  const needed = new Set<string>();
  const visit = (node: Json | undefined): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) {
      const name = schemaName(node);
      if (name !== null && !needed.has(name)) {
        needed.add(name);
        visit(all[name]);
      }
      for (const value of Object.values(node)) visit(value);
    }
  };
  visit({ $ref: `${REF}${input}` });
  visit({ $ref: `${REF}${output}` });
  const schemas: JsonObject = {};
  for (const name of [...needed].sort()) {
    if (!isObject(all[name])) throw new FalOpenApiError(file, `$ref to components.schemas.${name}, which the document does not define`);
    schemas[renames.get(name) ?? name] = clean(all[name]!, renames);
  }
  return schemas;
}

/** A request example from the Input's own `examples` (fal gives one per property). */
function requestExample(input: JsonObject): JsonObject {
  const example: JsonObject = {};
  for (const [name, prop] of Object.entries(isObject(input.properties) ? input.properties : {})) {
    if (isObject(prop) && Array.isArray(prop.examples) && prop.examples.length > 0) example[name] = prop.examples[0]!;
  }
  return example;
}

/** What a submit answers (fal's document shows none): follow-up URLs live under owner/app. */
function submitExample(id: string): JsonObject {
  const app = id.split("/").slice(0, 2).join("/");
  const requestId = "764cabcf-b745-4b3e-ae38-1200304cf45b";
  const base = `${FAL_QUEUE_URL}/${app}/requests/${requestId}`;
  const followUps = { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  return { status: "IN_QUEUE", request_id: requestId, ...followUps, logs: null, metrics: {}, queue_position: 0 };
}

/**
 * The document as a vendor source: only the submit route, its body schema named `Input`, the
 * result schema named `Output`, and fal's server. fal's own queue routes and QueueStatus are
 * left out: the queue-protocol rule adds ours (specs/queue.yaml), which say more.
 */
export function falOpenApiToSource(file: string, doc: JsonObject): JsonObject {
  const id = falEndpointId(file, doc);
  const schemas = endpointSchemas(file, doc, id);
  const info = isObject(doc.info) ? doc.info : {};
  const meta = isObject(info["x-fal-metadata"]) ? info["x-fal-metadata"] : {};
  const docsUrl = typeof meta.documentationUrl === "string" ? meta.documentationUrl : `https://fal.ai/models/${id}/api`;
  const example = requestExample(schemas.Input as JsonObject);
  const servers = Array.isArray(doc.servers) && doc.servers.length > 0 ? doc.servers : [{ url: FAL_QUEUE_URL }];
  return {
    openapi: typeof doc.openapi === "string" ? doc.openapi : "3.0.4",
    info: { title: id, version: typeof info.version === "string" ? info.version : "1.0.0" },
    servers: structuredClone(servers),
    paths: {
      [`/${id}`]: {
        post: {
          summary: `/${id}`,
          description: `Official documentation: ${docsUrl}`,
          requestBody: {
            required: true,
            content: { "application/json": { schema: { $ref: `${REF}Input` }, ...(Object.keys(example).length > 0 ? { example } : {}) } },
          },
          // No schema on purpose: the queue-protocol rule types it as QueueSubmitResponse.
          responses: { "200": { description: "", content: { "application/json": { example: submitExample(id) } } } },
        },
      },
    },
    components: { schemas },
  };
}

/** The document as an upstream form for the conformance check. */
export function falOpenApiUpstream(file: string, doc: JsonObject): { id: string; upstream: UpstreamDocument } {
  const id = falEndpointId(file, doc);
  // Compared with our OpenAPI 3.1 specs, so read as 3.1 too (nullable, boolean exclusive bounds).
  const upgraded: JsonObject = { openapi: String(doc.openapi), components: { schemas: endpointSchemas(file, doc, id) } };
  openapi31.apply(upgraded, { file, report: () => {} });
  return { id, upstream: { form: file, limits: FAL_OPENAPI_LIMITS, doc: upgraded } };
}
