/**
 * Queue protocol: every fal endpoint is served through the queue, so its submit answers with
 * a queue handle, not with the output the vendor's empty schema leaves open. This rule
 *  - names the submit operation and moves its body schema to `components.schemas.Input`,
 *  - replaces the empty 200 schema with `QueueSubmitResponse` (keeping the vendor example),
 *  - adds the submit's queue parameters (webhook, start deadline, priority, runner hint),
 *  - instantiates the follow-up routes of specs/queue.yaml under the endpoint's owner/app.
 * The routes are protocol facts that hold for every app, so a rule; the output's real shape
 * is per model, so an overlay states it (until then `Output` stays an open object).
 */
import { endpointNames } from "../endpoint-id.js";
import { isObject, objectAt, type JsonObject } from "../../json.js";
import { RuleError, type Rule } from "./types.js";

const SUBMIT_PARAMETERS = ["FalWebhook", "RequestTimeout", "QueuePriority", "RunnerHint", "NoRetry"];

/** The single POST route of an endpoint document. */
export function submitRoute(doc: JsonObject, file: string): { path: string; operation: JsonObject } {
  const posts = Object.entries(isObject(doc.paths) ? doc.paths : {}).filter(
    ([path, item]) => isObject(item) && isObject(item.post) && !path.includes("/requests/{"),
  );
  if (posts.length !== 1) {
    throw new RuleError("queue-protocol", file, `expected exactly one submit (POST) route, found ${posts.length}`);
  }
  const [path, item] = posts[0]!;
  return { path, operation: (item as JsonObject).post as JsonObject };
}

function moveBodySchema(operation: JsonObject, components: JsonObject, report: (m: string) => void): void {
  const media = isObject(operation.requestBody) && isObject(operation.requestBody.content) ? operation.requestBody.content["application/json"] : undefined;
  if (!isObject(media) || !isObject(media.schema)) return;
  if (typeof media.schema.$ref === "string") return;
  const schemas = objectAt(components, "schemas");
  schemas.Input = media.schema;
  media.schema = { $ref: "#/components/schemas/Input" };
  report("submit body schema → components.schemas.Input");
}

function setSubmitResponses(operation: JsonObject, report: (m: string) => void): void {
  const responses = objectAt(operation, "responses");
  if (!isObject(responses["200"])) responses["200"] = { description: "" };
  const ok = responses["200"] as JsonObject;
  const media = objectAt(ok, "content", "application/json");
  const schema = media.schema;
  const empty = !isObject(schema) || (schema.$ref === undefined && Object.keys(isObject(schema.properties) ? schema.properties : {}).length === 0);
  if (empty) {
    media.schema = { $ref: "#/components/schemas/QueueSubmitResponse" };
    report("submit 200: empty schema → QueueSubmitResponse");
  }
  if (!ok.description) ok.description = "The request was queued.";
  delete ok.headers;
  responses["422"] ??= { $ref: "#/components/responses/ValidationFailed" };
}

export function queueProtocol(protocol: JsonObject): Rule {
  return {
    name: "queue-protocol",
    apply(doc, ctx) {
      const { path, operation } = submitRoute(doc, ctx.file);
      const names = endpointNames(path);
      const components = objectAt(doc, "components");
      operation.operationId = "submit";
      moveBodySchema(operation, components, ctx.report);
      setSubmitResponses(operation, ctx.report);
      const parameters = Array.isArray(operation.parameters) ? operation.parameters : [];
      for (const name of SUBMIT_PARAMETERS) {
        const ref = `#/components/parameters/${name}`;
        if (!parameters.some((p) => isObject(p) && p.$ref === ref)) parameters.push({ $ref: ref });
      }
      operation.parameters = parameters;

      // Copy the protocol's components; the endpoint's own (Input, an overlay's Output) win.
      const protocolComponents = isObject(protocol.components) ? protocol.components : {};
      for (const [kind, entries] of Object.entries(protocolComponents)) {
        if (!isObject(entries)) continue;
        const target = objectAt(components, kind);
        for (const [name, value] of Object.entries(entries)) target[name] ??= structuredClone(value);
      }

      // Follow-up routes live under owner/app, never under the submit subpath.
      const paths = objectAt(doc, "paths");
      for (const [template, item] of Object.entries(isObject(protocol.paths) ? protocol.paths : {})) {
        const concrete = template.replace("/{owner}/{app}", `/${names.app}`);
        paths[concrete] = structuredClone(item);
      }
      ctx.report(`follow-up routes under /${names.app}/requests/{request_id}`);
    },
  };
}
