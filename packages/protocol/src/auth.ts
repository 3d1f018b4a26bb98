/**
 * The Authorization header and where its token comes from. A token is only ever put in a
 * header value; no message built here contains one.
 */
import type { AuthScheme } from "./provider-preset.js";
import { type ProviderName, providerPresets } from "./providers.js";

/** `Bearer <token>` or `Key <token>`: the header value for a scheme. */
export function authorizationValue(auth: AuthScheme, token: string): string {
  return `${authSchemeLabel(auth)} ${token}`;
}

/** The scheme as it appears in the header (for messages: `Authorization: Key <token>`). */
export function authSchemeLabel(auth: AuthScheme): "Bearer" | "Key" {
  return auth === "key" ? "Key" : "Bearer";
}

/** The generic variable, read after the provider's own (and the only one for a custom host). */
export const GENERIC_TOKEN_ENV = "FLUXKIT_TOKEN";

export type Env = Readonly<Record<string, string | undefined>>;

/** `process.env` where it exists; nothing in browsers/workers, and no crash on Deno's permission errors. */
export function defaultEnv(): Env {
  try {
    return (globalThis as { process?: { env?: Env } }).process?.env ?? {};
  } catch {
    return {};
  }
}

/** A variable's trimmed value; undefined when unset, empty, or unreadable. */
export function readEnv(env: Env, name: string): string | undefined {
  try {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  } catch {
    return undefined;
  }
}

/** The variables a token is read from, in order: the provider's own (a preset), then FLUXKIT_TOKEN. */
export function tokenVariables(provider: ProviderName | undefined): string[] {
  return provider === undefined ? [GENERIC_TOKEN_ENV] : [providerPresets[provider].tokenEnv, GENERIC_TOKEN_ENV];
}

/** The token: the explicit one, else the first of `tokenVariables(provider)` that is set; undefined when none is. */
export function findToken(provider: ProviderName | undefined, explicit: string | undefined, env: Env): string | undefined {
  if (explicit !== undefined && explicit !== "") return explicit;
  for (const name of tokenVariables(provider)) {
    const value = readEnv(env, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** What to tell someone with no token for a preset: which variables were read, and what to do. */
export function missingTokenMessage(provider: ProviderName): string {
  return `No token for provider "${provider}": pass { token } or set ${tokenVariables(provider).join(" or ")}.`;
}

/** No token for a provider that needs one. `variables` are the ones read, in order. */
export class MissingTokenError extends Error {
  override readonly name: string = "MissingTokenError";
  readonly provider: ProviderName;
  readonly variables: readonly string[];
  constructor(provider: ProviderName) {
    super(missingTokenMessage(provider));
    this.provider = provider;
    this.variables = tokenVariables(provider);
  }
}

/** Like `findToken`, for a preset, which needs a token: a MissingTokenError naming its variables when there is none. */
export function requireToken(provider: ProviderName, explicit: string | undefined, env: Env): string {
  const token = findToken(provider, explicit, env);
  if (token === undefined) throw new MissingTokenError(provider);
  return token;
}
