/**
 * Overlays (OpenAPI Overlay 1.0): facts no rule can infer, applied after the merge.
 * Targets are JSONPath (jsonpath-plus); `update` merges into objects and appends to arrays,
 * `remove` deletes — as the Overlay spec says. Two house rules on top:
 *  - every action states why (`description`) and on what evidence (`x-source`);
 *  - an action whose target matches nothing is an error, so a vendor change that makes an
 *    overlay stale is noticed instead of silently dropped.
 * Two optional annotations on an action, each a sentence:
 *  - `x-fluxkit-upstream-deviation`: what the action writes differs from fal's own schema on
 *    purpose, and why (the upstream check, specs-upstream.ts, accepts those differences only);
 *  - `x-fluxkit-guess`: no source states this fact; why it is believed anyway.
 */
import { JSONPath } from "jsonpath-plus";
import { isObject, type Json, type JsonObject } from "../json.js";
import { FileError } from "../file-error.js";

export interface OverlayAction {
  target: string;
  description: string;
  "x-source": string;
  update?: Json;
  remove?: boolean;
  "x-fluxkit-upstream-deviation"?: string;
  "x-fluxkit-guess"?: string;
}

export interface OverlayDocument {
  overlay: string;
  info: { title: string; version: string };
  actions: OverlayAction[];
}

export class OverlayError extends FileError {
  override name = "OverlayError";
}

export function checkOverlay(file: string, value: unknown): OverlayDocument {
  if (!isObject(value)) throw new OverlayError(file, "not a YAML mapping");
  if (typeof value.overlay !== "string" || !/^1\.0\.\d+$/.test(value.overlay)) {
    throw new OverlayError(file, "`overlay:` must be a 1.0.x version");
  }
  if (!isObject(value.info) || typeof value.info.title !== "string" || typeof value.info.version !== "string") {
    throw new OverlayError(file, "`info:` needs `title` and `version`");
  }
  if (!Array.isArray(value.actions) || value.actions.length === 0) throw new OverlayError(file, "`actions:` must be a non-empty list");
  value.actions.forEach((action, i) => {
    const where = `actions[${i}]`;
    if (!isObject(action) || typeof action.target !== "string" || !action.target.startsWith("$")) {
      throw new OverlayError(file, `${where}: \`target\` must be a JSONPath starting with $`);
    }
    if (typeof action.description !== "string" || action.description.trim() === "") {
      throw new OverlayError(file, `${where} (${action.target}): \`description\` must say why this fact holds`);
    }
    if (typeof action["x-source"] !== "string" || action["x-source"].trim() === "") {
      throw new OverlayError(file, `${where} (${action.target}): \`x-source\` must cite the evidence`);
    }
    if ((action.update === undefined) === (action.remove !== true)) {
      throw new OverlayError(file, `${where} (${action.target}): exactly one of \`update\` or \`remove: true\``);
    }
    for (const key of ["x-fluxkit-upstream-deviation", "x-fluxkit-guess"]) {
      if (action[key] !== undefined && (typeof action[key] !== "string" || action[key].trim() === "")) {
        throw new OverlayError(file, `${where} (${action.target}): \`${key}\` must be a sentence saying why`);
      }
    }
  });
  return value as unknown as OverlayDocument;
}

function merge(target: Json, update: Json): Json {
  if (Array.isArray(target)) return [...target, ...(Array.isArray(update) ? structuredClone(update) : [structuredClone(update)])];
  if (isObject(target) && isObject(update)) {
    for (const [key, value] of Object.entries(update)) {
      target[key] = key in target ? merge(target[key]!, value) : structuredClone(value);
    }
    return target;
  }
  return structuredClone(update);
}

interface Match {
  pointer: string;
  parent: Json | null;
  parentProperty: string | number | null;
  value: Json;
}

/** Pointers of the leaves an update writes (objects merge, so only leaves replace anything). */
function leafPointers(base: string, update: Json): string[] {
  if (!isObject(update)) return [base];
  return Object.entries(update).flatMap(([key, value]) => leafPointers(`${base}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`, value));
}

/**
 * Applies `overlay` to `doc` in place. Returns the JSON pointers the overlay *decided*: nodes
 * it removed, and leaves its updates wrote — what a merge conflict must be covered by.
 * `onAction` hears each action's own pointers (for the deviations an action declares).
 */
export function applyOverlay(
  file: string,
  doc: JsonObject,
  overlay: OverlayDocument,
  onAction?: (index: number, action: OverlayAction, pointers: string[]) => void,
): string[] {
  const touched: string[] = [];
  overlay.actions.forEach((action, i) => {
    const before = touched.length;
    const matches = JSONPath({ path: action.target, json: doc, resultType: "all", wrap: true }) as Match[];
    if (matches.length === 0) {
      throw new OverlayError(
        file,
        `actions[${i}] (${action.target}) matches nothing in the merged document — the vendor spec may have changed; update or remove this action`,
      );
    }
    // Remove from the end so array indices stay valid.
    for (const match of [...matches].reverse()) {
      touched.push(...(action.remove ? [match.pointer] : leafPointers(match.pointer, action.update!)));
      if (action.remove) {
        if (Array.isArray(match.parent)) match.parent.splice(Number(match.parentProperty), 1);
        else if (isObject(match.parent)) delete match.parent[String(match.parentProperty)];
        else throw new OverlayError(file, `actions[${i}] (${action.target}): cannot remove the document root`);
      } else {
        const merged = merge(match.value, action.update!);
        if (match.parent === null) {
          if (!isObject(merged)) throw new OverlayError(file, `actions[${i}]: the root must stay an object`);
          Object.assign(doc, merged);
        } else if (Array.isArray(match.parent)) match.parent[Number(match.parentProperty)] = merged;
        else if (isObject(match.parent)) match.parent[String(match.parentProperty)] = merged;
      }
    }
    onAction?.(i, action, touched.slice(before));
  });
  return touched;
}
