/**
 * Spec drift: every response a real provider sends is checked against the normalized spec,
 * and each mismatch is reported as field, expected, got — what a maintainer needs to fix
 * the overlay or open a vendor ticket.
 */
import { specValidator } from "./schema-validator.js";
import type { JsonObject, SpecEndpoint } from "./spec-catalog.js";

export interface RecordedResponse {
  method: string;
  url: string;
  status: number;
  body: unknown;
}

export interface Drift {
  route: string;
  field: string;
  expected: string;
  got: string;
}

/** Which component schema a queue route's JSON answer must match (null: not JSON / not checked). */
export function schemaForRoute(endpoint: SpecEndpoint, method: string, path: string, status: number): string | null {
  if (status >= 400) return status === 422 ? "#/components/schemas/ValidationError" : null;
  const base = `/${endpoint.app}/requests/`;
  if (method === "POST" && path.endsWith(endpoint.submitPath)) return "#/components/schemas/QueueSubmitResponse";
  const at = path.indexOf(base);
  if (at < 0) return null;
  const rest = path.slice(at + base.length).split("/");
  if (rest.length === 1 && method === "GET") return "#/components/schemas/Output";
  if (rest[1] === "status" && rest.length === 2) return "#/components/schemas/QueueStatus";
  if (rest[1] === "cancel") return "#/components/schemas/CancelResponse";
  return null;
}

function valueAt(body: unknown, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((node, key) => (node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), body);
}

export function findDrift(endpoint: SpecEndpoint, responses: RecordedResponse[]): Drift[] {
  const validator = specValidator(endpoint.doc as JsonObject);
  const drift: Drift[] = [];
  for (const response of responses) {
    const path = new URL(response.url).pathname;
    const pointer = schemaForRoute(endpoint, response.method, path, response.status);
    if (!pointer) continue;
    for (const error of validator.errors(pointer, response.body)) {
      const [field = "(root)", ...rest] = error.split(" ");
      drift.push({
        route: `${response.method} ${path} → ${response.status}`,
        field,
        expected: `${pointer.split("/").pop()}: ${rest.join(" ")}`,
        got: JSON.stringify(valueAt(response.body, field === "(root)" ? "" : field)) ?? "undefined",
      });
    }
  }
  return drift;
}

/** Wraps fetch so every JSON answer is kept for the drift check. */
export function recordingFetch(responses: RecordedResponse[], inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const type = response.headers.get("content-type") ?? "";
    if (type.includes("application/json")) {
      const body: unknown = await response
        .clone()
        .json()
        .catch(() => "(malformed JSON)");
      const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      responses.push({ method: (init?.method ?? "GET").toUpperCase(), url, status: response.status, body });
    }
    return response;
  };
}
