/**
 * Operations: every operation gets an operationId (camelCase of method and path when the
 * vendor gave none) and every request body that has a schema is required — a submit
 * without its JSON body is never valid.
 */
import { isObject } from "../../json.js";
import type { Rule } from "./types.js";

export const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

export function operationIdFor(method: string, path: string): string {
  const words = `${method} ${path}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1))).join("");
}

export const requiredRequestBody: Rule = {
  name: "required-request-body",
  apply(doc, ctx) {
    for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
      if (!isObject(item)) continue;
      for (const method of HTTP_METHODS) {
        const body = isObject(item[method]) ? item[method].requestBody : undefined;
        if (isObject(body) && body.required !== true) {
          body.required = true;
          ctx.report(`${method.toUpperCase()} ${path}: request body marked required`);
        }
      }
    }
  },
};

export const operationIds: Rule = {
  name: "operation-ids",
  apply(doc, ctx) {
    const taken = new Set<string>();
    for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
      if (!isObject(item)) continue;
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!isObject(operation)) continue;
        if (typeof operation.operationId !== "string" || operation.operationId === "") {
          let id = operationIdFor(method, path);
          for (let n = 2; taken.has(id); n++) id = `${operationIdFor(method, path)}${n}`;
          operation.operationId = id;
          ctx.report(`${method.toUpperCase()} ${path}: operationId ${id}`);
        }
        taken.add(operation.operationId as string);
      }
    }
  },
};
