/**
 * One endpoint's normalized spec before and after a change, classified from the SDK user's side
 * (classify.ts). Import, generate (changesets) and `specs:diff` all compare through here, so an
 * endpoint is always "new", "changed", "unchanged" or "removed", with the same bump, everywhere.
 */
import { parse } from "yaml";
import { isObject, type JsonObject } from "../json.js";
import { classifyEndpoint, highestBump, type Bump, type SpecChange } from "./classify.js";

export type EndpointStatus = "new" | "changed" | "unchanged" | "removed";

export interface EndpointComparison {
  readonly id: string;
  readonly slug: string;
  readonly packageName: string;
  readonly status: EndpointStatus;
  /** The highest bump of `changes` ("none" when nothing a user can notice changed). */
  readonly bump: Bump;
  readonly changes: SpecChange[];
}

/** A spec's text, and where it came from for error messages (`specs/normalized/x.yaml at HEAD`). */
export interface SpecText {
  readonly label: string;
  readonly yaml: string;
}

export interface EndpointNames {
  readonly id: string;
  readonly slug: string;
  readonly packageName: string;
}

export function parseNormalizedSpec(file: string, text: string): JsonObject {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new Error(`${file}: does not parse (${(error as Error).message.split("\n")[0]}); restore it with \`git checkout -- ${file}\` and run again`);
  }
  if (!isObject(value)) throw new Error(`${file}: expected an OpenAPI document; restore it with \`git checkout -- ${file}\``);
  return value;
}

/** `before` null: the endpoint is new; `after` null: it was removed. */
export function compareEndpoint(names: EndpointNames, before: SpecText | null, after: SpecText | null): EndpointComparison {
  if (before !== null && after !== null && before.yaml === after.yaml) return { ...names, status: "unchanged", bump: "none", changes: [] };
  const docBefore = before === null ? null : parseNormalizedSpec(before.label, before.yaml);
  // A removed endpoint is judged against an empty document: everything it had is gone.
  const docAfter = after === null ? null : parseNormalizedSpec(after.label, after.yaml);
  const changes = classifyEndpoint(names.id, docBefore ?? (after === null ? {} : null), docAfter);
  const status: EndpointStatus = after === null ? "removed" : before === null ? "new" : "changed";
  return { ...names, status, bump: highestBump(changes), changes };
}
