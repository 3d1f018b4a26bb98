import { followUpPaths, providerPresets } from "@fluxkit/protocol";
import { ForeignUrlError, ProtocolError } from "./errors.js";
import type { ResolvedProvider } from "./providers.js";
import { redactAndClip, type Redactor } from "./redact.js";

/** Hosts the gateways put in their submit responses; their paths are rebased onto the provider. */
export const FAL_QUEUE_HOSTS: ReadonlySet<string> = new Set([new URL(providerPresets.fal.baseUrl).hostname]);

export interface FollowUpUrls {
  readonly statusUrl: string;
  readonly responseUrl: string;
  readonly cancelUrl: string;
}

/** `{origin}{prefix}{path}` — every URL this package requests is built here or by `followUrl`. */
export function providerUrl(provider: ResolvedProvider, path: string): string {
  return `${provider.origin}${provider.prefix}${path.startsWith("/") ? path : `/${path}`}`;
}

/** The routes when a gateway omits them: under owner/app only, never the submit subpath. */
export function deriveFollowUpUrls(provider: ResolvedProvider, app: string, requestId: string): FollowUpUrls {
  const paths = followUpPaths(app, requestId);
  return { responseUrl: providerUrl(provider, paths.response), statusUrl: providerUrl(provider, paths.status), cancelUrl: providerUrl(provider, paths.cancel) };
}

/**
 * The origin of an absolute URL (throws like `new URL` when it is not one). A URL that starts with
 * the provider's origin and "/" has that origin (for http(s) the host ends at the first "/"), so
 * the URLs this package built itself are not parsed again on every request.
 */
export function originOf(url: string, provider: ResolvedProvider): string {
  const origin = provider.origin;
  if (url.startsWith(origin) && url.charCodeAt(origin.length) === SLASH && (origin.startsWith("https://") || origin.startsWith("http://"))) return origin;
  return new URL(url).origin;
}

const SLASH = 0x2f;

/**
 * Makes a URL from a response safe to request with the token:
 * - already on the provider's origin: used as is;
 * - on a fal queue host (gateways answer with those): its path is rebased onto the provider;
 * - anywhere else: refused, unless `allowForeignUrls` asks for the same rebasing.
 * Never returns a URL on another origin, so the Authorization header cannot leak.
 */
export function followUrl(
  raw: string,
  provider: ResolvedProvider,
  options: { readonly allowForeignUrls?: boolean | undefined; readonly field: string; readonly redact?: Redactor | undefined },
): string {
  // What a refusal may show of a URL a server sent: redacted (it may carry the token) and short.
  const show = (text: string) => (options.redact === undefined ? text.slice(0, 300) : redactAndClip(text, 300, options.redact));
  let url: URL;
  try {
    url = new URL(typeof raw === "string" ? raw : String(raw));
  } catch {
    throw new ProtocolError(`The provider returned an invalid ${options.field}: ${JSON.stringify(show(String(raw)))}.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ForeignUrlError(`Refused ${options.field} with scheme "${show(url.protocol)}".`, show(raw));
  }
  if (url.origin === provider.origin) return url.href;
  if (FAL_QUEUE_HOSTS.has(url.hostname) || options.allowForeignUrls === true) {
    // A rebased URL gets the provider prefix unless the path already carries it.
    const path =
      provider.prefix !== "" && (url.pathname === provider.prefix || url.pathname.startsWith(`${provider.prefix}/`))
        ? url.pathname
        : `${provider.prefix}${url.pathname}`;
    return `${provider.origin}${path}${url.search}`;
  }
  throw new ForeignUrlError(
    `Refused ${options.field} on ${show(url.origin)}: the token is only sent to ${provider.origin}. ` +
      `If this host is a mirror of your provider, create the client with { allowForeignUrls: true } to rebase its path onto ${provider.origin}.`,
    show(raw),
  );
}
