/** Which server of an endpoint a plain HTTP client talks to, and the Authorization header it sends there. */
import { authorizationValue } from "./auth.js";
import type { EndpointServer } from "./endpoint.js";
import type { AuthScheme } from "./provider-preset.js";

export interface ServerChoice {
  /** Defaults to the endpoint's first server. */
  readonly baseUrl?: string | undefined;
  /** Sent as `Authorization: Bearer <token>` (gateways) or `Key <token>` (fal). */
  readonly token?: string | undefined;
  /** Defaults to the scheme of the server at `baseUrl` (of the first server for a URL the endpoint does not list). */
  readonly auth?: AuthScheme | undefined;
}

export interface ServerConnection {
  readonly baseUrl: string | undefined;
  /** `{ Authorization }` when there is a token; empty otherwise. */
  readonly headers: Readonly<Record<string, string>>;
}

export function serverConnection(servers: readonly EndpointServer[], choice: ServerChoice = {}): ServerConnection {
  const { baseUrl, token, auth } = choice;
  const server = servers.find((s) => s.url === baseUrl) ?? servers[0];
  return {
    baseUrl: baseUrl ?? server?.url,
    headers: token ? { Authorization: authorizationValue(auth ?? server?.auth ?? "bearer", token) } : {},
  };
}
