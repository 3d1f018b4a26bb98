/**
 * Every normalized endpoint, discovered from specs/normalized/*.yaml: a new spec is covered by
 * every contract suite with no test code written for it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { submitPath } from "@fluxkit/protocol";
import { parse } from "yaml";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface SpecEndpoint {
  slug: string;
  file: string;
  id: string;
  app: string;
  submitPath: string;
  doc: JsonObject;
}

export const SPECS_DIR = fileURLToPath(new URL("../../specs/normalized/", import.meta.url));

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function loadEndpoints(dir = SPECS_DIR): SpecEndpoint[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yaml"))
    .sort()
    .map((name) => {
      const file = `${dir}${name}`;
      const doc = parse(readFileSync(file, "utf8")) as JsonObject;
      const meta = (doc.info as JsonObject)["x-fluxkit-endpoint"] as JsonObject;
      return { slug: name.replace(/\.yaml$/, ""), file, id: String(meta.id), app: String(meta.app), submitPath: submitPath(String(meta.id)), doc };
    });
}

export function schemas(doc: JsonObject): JsonObject {
  return (doc.components as JsonObject).schemas as JsonObject;
}

/** Follow a local `#/components/schemas/X` reference. */
export function resolve(doc: JsonObject, node: JsonValue | undefined): JsonObject {
  if (isObject(node) && typeof node.$ref === "string") return resolve(doc, schemas(doc)[node.$ref.split("/").pop()!]);
  return isObject(node) ? node : {};
}
