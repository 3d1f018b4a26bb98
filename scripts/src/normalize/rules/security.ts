/**
 * Security: declare both ways the providers take a credential — gateways a bearer token,
 * fal itself `Authorization: Key <key>` — and require one of them on every operation.
 */
import { isObject, objectAt, type Json, type JsonObject } from "../../json.js";
import { HTTP_METHODS } from "./operations.js";
import type { Rule } from "./types.js";

export const SECURITY_SCHEMES: JsonObject = {
  bearer: { type: "http", scheme: "bearer", description: "Gateways (chainhub, kkiai): `Authorization: Bearer <token>`." },
  falKey: { type: "apiKey", in: "header", name: "Authorization", description: "fal: `Authorization: Key <FAL_KEY>`." },
};

export const security: Rule = {
  name: "security",
  apply(doc, ctx) {
    const schemes = objectAt(doc, "components", "securitySchemes");
    for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) schemes[name] = structuredClone(scheme);
    const requirement: Json[] = [{ bearer: [] }, { falKey: [] }];
    doc.security = structuredClone(requirement);
    for (const item of Object.values(isObject(doc.paths) ? doc.paths : {})) {
      if (!isObject(item)) continue;
      for (const method of HTTP_METHODS) {
        if (isObject(item[method])) item[method].security = structuredClone(requirement);
      }
    }
    ctx.report("security: bearer (gateways) or falKey (fal) on every operation");
  },
};
