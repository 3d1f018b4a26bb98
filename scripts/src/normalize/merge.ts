/**
 * Merge: all sources of one endpoint become one document.
 *  - OpenAPI sources are deep-merged in file order; where two disagree, the first value is
 *    kept and the disagreement is recorded as a conflict (a JSON pointer). A conflict that no
 *    overlay action touches afterwards fails the pipeline: never resolved silently.
 *  - servers are the union of every source's servers, the hosts docs pages name, and fal's
 *    own queue; each is labelled with its provider and auth scheme.
 */
import { isObject, deepEqual, type Json, type JsonObject } from "../json.js";
import { assertServerUrl } from "./rules/server-urls.js";

export interface Provider {
  url: string;
  auth: "bearer" | "key";
  description: string;
}

export interface EndpointSource {
  file: string;
  provider: string | null;
  /** A processed OpenAPI document, or null for a docs page. */
  doc: JsonObject | null;
  /** For docs pages: the origin they name, if any. */
  origin: string | null;
}

export interface Conflict {
  pointer: string;
  files: [string, string];
  kept: Json;
  other: Json;
}

const escapePointer = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

function deepMerge(target: JsonObject, source: JsonObject, pointer: string, files: [string, string], conflicts: Conflict[]): void {
  for (const [key, value] of Object.entries(source)) {
    const here = `${pointer}/${escapePointer(key)}`;
    const existing = target[key];
    if (existing === undefined) target[key] = structuredClone(value);
    else if (isObject(existing) && isObject(value)) deepMerge(existing, value, here, files, conflicts);
    else if (!deepEqual(existing, value)) conflicts.push({ pointer: here, files, kept: existing, other: value });
  }
}

function providerFor(origin: string, fallback: string | null, providers: Record<string, Provider>): [string, Provider] {
  for (const [name, provider] of Object.entries(providers)) {
    if (new URL(provider.url).origin === origin) return [name, provider];
  }
  const name = fallback ?? new URL(origin).hostname;
  return [name, { url: origin, auth: "bearer", description: `${name} (Authorization: Bearer <token>)` }];
}

export function mergeEndpoint(sources: EndpointSource[], providers: Record<string, Provider>): { doc: JsonObject; conflicts: Conflict[] } {
  const openapi = sources.filter((s) => s.doc !== null);
  if (openapi.length === 0) {
    throw new Error(`${sources.map((s) => s.file).join(", ")}: docs pages alone do not make an endpoint; an OpenAPI source is needed`);
  }
  const [first, ...rest] = openapi;
  const doc = structuredClone(first!.doc!);
  const conflicts: Conflict[] = [];
  for (const source of rest) {
    const { servers: _servers, ...withoutServers } = source.doc!;
    deepMerge(doc, withoutServers, "", [first!.file, source.file], conflicts);
  }

  const servers = new Map<string, JsonObject>();
  const addServer = (url: string, fallbackProvider: string | null) => {
    const origin = assertServerUrl(url).origin;
    const [name, provider] = providerFor(origin, fallbackProvider, providers);
    if (!servers.has(origin)) {
      servers.set(origin, { url: origin, description: provider.description, "x-fluxkit-provider": name, "x-fluxkit-auth": provider.auth });
    }
  };
  for (const source of sources) {
    if (source.doc && Array.isArray(source.doc.servers)) {
      for (const server of source.doc.servers) if (isObject(server) && typeof server.url === "string") addServer(server.url, source.provider);
    }
    if (source.origin) addServer(source.origin, source.provider);
  }
  if (providers.fal) addServer(providers.fal.url, "fal");
  doc.servers = [...servers.values()];
  return { doc, conflicts };
}

/** True when an overlay removed the conflicting node (or an ancestor) or wrote it outright. */
export function isResolved(conflict: Conflict, decided: string[]): boolean {
  return decided.some((p) => conflict.pointer === p || conflict.pointer.startsWith(`${p}/`));
}
