/**
 * Apifox noise: `x-apifox-*` and `x-run-in-apifox` keys carry editor state, not API facts.
 * `x-apifox-orders` is the one with meaning (the vendor's property order): it is applied to
 * `properties` before it is dropped, so parameter tables keep the vendor's order.
 */
import { isObject, type Json, type JsonObject } from "../../json.js";
import type { Rule } from "./types.js";

const NOISE = /^x-(apifox|run-in-apifox)/;

function orderProperties(node: JsonObject): void {
  const orders = node["x-apifox-orders"];
  const properties = node.properties;
  if (!Array.isArray(orders) || !isObject(properties)) return;
  const ordered: JsonObject = {};
  for (const name of orders) if (typeof name === "string" && name in properties) ordered[name] = properties[name]!;
  for (const [name, value] of Object.entries(properties)) if (!(name in ordered)) ordered[name] = value;
  node.properties = ordered;
}

function strip(node: Json, path: string, removed: string[]): void {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) strip(item, `${path}[${i}]`, removed);
    return;
  }
  if (!isObject(node)) return;
  orderProperties(node);
  for (const key of Object.keys(node)) {
    if (NOISE.test(key)) {
      delete node[key];
      removed.push(`${path}.${key}`);
    } else strip(node[key]!, `${path}.${key}`, removed);
  }
}

export const apifoxNoise: Rule = {
  name: "apifox-noise",
  apply(doc, ctx) {
    const removed: string[] = [];
    strip(doc, "$", removed);
    if (removed.length > 0) ctx.report(`removed ${removed.length} x-apifox-* keys`);
  },
};
