/** The Authorization check of the queue routes: the scheme of the provider played, and the token when one is set. */
import type { IncomingMessage } from "node:http";
import { authSchemeLabel } from "@fluxkit/protocol";
import type { AuthScheme, ProviderName } from "./config.js";
import { type JsonReply, headerValue } from "./http-io.js";

export interface AuthPolicy {
  readonly provider: ProviderName;
  readonly auth: AuthScheme;
  /** Accept only this token; any non-empty token when absent. */
  readonly token?: string | undefined;
}

/** The 401 to answer, or undefined when the request may pass. */
export function checkAuthorization(req: IncomingMessage, policy: AuthPolicy): JsonReply | undefined {
  const value = headerValue(req, "authorization");
  const expected = authSchemeLabel(policy.auth);
  const hint = `this emulator plays ${policy.provider}, which expects \`Authorization: ${expected} <token>\``;
  if (value === undefined || value.trim() === "") return { status: 401, body: { detail: `Missing Authorization header: ${hint}.` } };
  const match = /^(\S+)\s+(\S.*)$/.exec(value.trim());
  if (match === null || match[1]?.toLowerCase() !== expected.toLowerCase()) {
    return { status: 401, body: { detail: `Wrong authorization scheme: ${hint}.` } };
  }
  if (policy.token !== undefined && match[2] !== policy.token) return { status: 401, body: { detail: "Invalid token." } };
  return undefined;
}
