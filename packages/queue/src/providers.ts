import {
  type AuthScheme,
  defaultEnv,
  type Env,
  findToken,
  isProviderName,
  missingTokenMessage,
  type ProviderName,
  providerPresets,
  tokenVariables,
} from "@fluxkit/protocol";
import { AuthenticationError, FluxkitError } from "./errors.js";

export { defaultEnv, providerPresets, type AuthScheme, type Env, type ProviderName };

/** Any other queue-compatible host (an emulator, a proxy). A path prefix is kept. */
export interface CustomProvider {
  readonly baseUrl: string;
  readonly auth: AuthScheme;
}

/**
 * Your own server-side proxy (`@fluxkit/proxy`), e.g. `{ proxyUrl: "/api/fal" }` in a browser.
 * The proxy adds the provider's token on the server, so this client sends none and reads no
 * environment variable. A relative URL is resolved against the page (`location.href`).
 */
export interface ProxyProvider {
  readonly proxyUrl: string;
}

export interface ResolvedProvider {
  /** Preset name, "custom", or "proxy" (no token is ever sent). */
  readonly name: string;
  /** `https://host` — the only origin the Authorization header is sent to. */
  readonly origin: string;
  /** Path prefix of a custom base URL, without trailing slash (`""` for none). */
  readonly prefix: string;
  /** Scheme of the Authorization header, when there is a token (never behind a proxy). */
  readonly auth: AuthScheme;
  /** Environment variables consulted for the token, in order. */
  readonly tokenEnv: readonly string[];
}

export function resolveProvider(provider: ProviderName | CustomProvider | ProxyProvider): ResolvedProvider {
  if (typeof provider === "string") {
    if (!isProviderName(provider)) {
      throw new FluxkitError(
        `Unknown provider "${String(provider)}". Use one of ${Object.keys(providerPresets).join(", ")}, { baseUrl, auth } or { proxyUrl }.`,
      );
    }
    return {
      name: provider,
      origin: new URL(providerPresets[provider].baseUrl).origin,
      prefix: "",
      auth: providerPresets[provider].auth,
      tokenEnv: tokenVariables(provider),
    };
  }
  if ("proxyUrl" in provider) return resolveProxy(provider.proxyUrl);
  let url: URL;
  try {
    url = new URL(provider.baseUrl);
  } catch {
    throw new FluxkitError(`Invalid provider baseUrl "${provider.baseUrl}": expected an absolute http(s) URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new FluxkitError(`Invalid provider baseUrl "${provider.baseUrl}": only http and https are supported.`);
  }
  if (provider.auth !== "bearer" && provider.auth !== "key") {
    throw new FluxkitError(`Invalid provider auth "${String(provider.auth)}": expected "bearer" or "key".`);
  }
  return {
    name: "custom",
    origin: url.origin,
    prefix: url.pathname.replace(/\/+$/, ""),
    auth: provider.auth,
    tokenEnv: tokenVariables(undefined),
  };
}

function resolveProxy(proxyUrl: string): ResolvedProvider {
  let page: string | undefined;
  try {
    // Relative proxy URLs resolve against the page; there is none on servers (and Deno throws).
    page = (globalThis as { location?: { href?: string } }).location?.href;
  } catch {}
  let url: URL | undefined;
  try {
    url = new URL(proxyUrl, page);
  } catch {}
  if (url?.protocol !== "https:" && url?.protocol !== "http:") {
    throw new FluxkitError(`Invalid proxyUrl "${proxyUrl}": expected an http(s) URL, or a path such as /api/fal in a browser.`);
  }
  return { name: "proxy", origin: url.origin, prefix: url.pathname.replace(/\/+$/, ""), auth: "bearer", tokenEnv: [] };
}

/**
 * The token: the explicit option, else the provider's own variable, else FLUXKIT_TOKEN.
 * Presets need one; a custom provider (e.g. a local emulator) may run without; a proxy never has one.
 */
export function resolveToken(provider: ResolvedProvider, explicit: string | undefined, env: Env): string | undefined {
  if (provider.name === "proxy") {
    if (explicit) throw new FluxkitError("A { proxyUrl } provider takes no token: the proxy holds it. Remove the token option.");
    return undefined;
  }
  const preset = isProviderName(provider.name) ? provider.name : undefined;
  const token = findToken(preset, explicit, env);
  if (token === undefined && preset !== undefined) throw new AuthenticationError(missingTokenMessage(preset));
  return token;
}
