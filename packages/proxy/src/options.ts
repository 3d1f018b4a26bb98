/**
 * The proxy's configuration and its checks. Everything is decided when the proxy is created:
 * a missing token, secret or authorization hook is an error then, not a request that fails later.
 */
import type { AnyEndpoint, ProviderName } from "@fluxkit/protocol";
import { authorizationValue, defaultEnv, findToken, isProviderName, providerNames, providerPresets, readEnv, tokenVariables } from "@fluxkit/protocol";
import type { CustomProvider } from "@fluxkit/queue";
import { endpointProblem, RouteTable, type QueueRoute } from "./routes.js";

/**
 * Who is calling: a stable, non-empty id for the caller (user id, session id, API key id), or
 * `null`/`undefined` to refuse with 401. Jobs are bound to this id.
 */
export type Authorize = (request: Request) => string | null | undefined | Promise<string | null | undefined>;

export interface RateLimitContext {
  /** The id `authorize` returned (`"anonymous"` with `allowAnonymous`). */
  readonly caller: string;
  readonly route: QueueRoute;
  /** owner/app of the route. */
  readonly app: string;
  /** The endpoint being submitted to (submit only; follow-ups are per app). */
  readonly endpointId: string | undefined;
  readonly request: Request;
}

export interface RateLimitVerdict {
  readonly allowed: boolean;
  /** Sent as Retry-After when refused. */
  readonly retryAfterSeconds?: number;
  /** Why, for the caller (e.g. "10 images per hour"). */
  readonly message?: string;
}

/** Called after authorization, before anything is read or forwarded; refuse with `{ allowed: false }` (429). */
export type RateLimit = (context: RateLimitContext) => RateLimitVerdict | Promise<RateLimitVerdict>;

export interface ProxyOptions {
  /**
   * The endpoints served; every other path is refused. Take them from the generated packages
   * (`fluxLora` from `@fluxkit/flux-lora`) or the catalog (`endpointPackages["fal-ai/flux-lora"].endpoint`
   * from `@fluxkit/endpoints`). Their own validators check every submit.
   */
  readonly endpoints: readonly AnyEndpoint[];
  /** The upstream: a preset (`"fal"`, `"chainhub"`, `"kkiai"`) or `{ baseUrl, auth }`. Never taken from a request. */
  readonly provider: ProviderName | CustomProvider;
  /** The provider token. Defaults to the provider's own variable (its `tokenEnv` in `providerPresets`), then FLUXKIT_TOKEN. */
  readonly token?: string;
  /** Signs request ids to their callers (at least 32 characters). Defaults to FLUXKIT_PROXY_SECRET. */
  readonly secret?: string;
  /** Who is calling; required unless `allowAnonymous: true`. */
  readonly authorize?: Authorize;
  /** Serve callers nobody identified (they all share one identity, "anonymous"). Off by default. */
  readonly allowAnonymous?: boolean;
  /** Where the handler is mounted, e.g. `/api/fal` (the default). */
  readonly basePath?: string;
  /** Largest submit body in bytes; default 1 MiB (an image_url data URI counts). */
  readonly maxBodyBytes?: number;
  readonly rateLimit?: RateLimit;
  /** Accepted `Host` values (`app.example`, `127.0.0.1:8080`); any host when absent. Refuses DNS rebinding. */
  readonly hosts?: readonly string[];
  /** Other origins whose pages may call the proxy (CORS, credentials included); same-origin only by default. */
  readonly allowedOrigins?: readonly string[];
  /** The fetch used to reach the upstream; defaults to the global fetch. */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Where the token and secret are read from; defaults to `process.env` where it exists. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Unexpected failures (upstream unreachable, a hook that threw), tokens redacted. Default console.error. */
  readonly log?: (message: string) => void;
}

/** A configuration the proxy refuses to start with; `option` names the culprit. */
export class ProxyConfigError extends Error {
  override readonly name = "ProxyConfigError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedConfig {
  readonly routes: RouteTable;
  readonly basePath: string;
  readonly upstream: { readonly origin: string; readonly prefix: string; readonly name: string };
  readonly authorization: string;
  readonly token: string;
  readonly secret: string;
  readonly authorize: Authorize | undefined;
  readonly maxBodyBytes: number;
  readonly rateLimit: RateLimit | undefined;
  readonly hosts: ReadonlySet<string> | undefined;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly log: (message: string) => void;
}

const SECRET_ENV = "FLUXKIT_PROXY_SECRET";
const MIN_SECRET_LENGTH = 32;
export const DEFAULT_BASE_PATH = "/api/fal";
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function resolveOptions(options: ProxyOptions): ResolvedConfig {
  const env = options.env ?? defaultEnv();
  const endpoints: readonly AnyEndpoint[] = options.endpoints;
  if (!Array.isArray(options.endpoints) || endpoints.length === 0) {
    throw new ProxyConfigError(
      "endpoints",
      "No endpoints: list the endpoints this proxy serves, e.g. { endpoints: [fluxLora] } with fluxLora from @fluxkit/flux-lora.",
    );
  }
  const seen = new Set<string>();
  for (const endpoint of endpoints) {
    const problem = endpointProblem(endpoint);
    if (problem !== undefined) throw new ProxyConfigError("endpoints", `Endpoint ${String(endpoint?.id ?? "(unnamed)")} ${problem}.`);
    if (seen.has(endpoint.id)) throw new ProxyConfigError("endpoints", `Endpoint ${endpoint.id} is listed twice.`);
    seen.add(endpoint.id);
  }

  const { upstream, auth, preset } = resolveUpstream(options.provider);
  if (upstream.name !== "custom") {
    for (const endpoint of endpoints) {
      if (!endpoint.servers.some((s) => s.provider === upstream.name)) {
        throw new ProxyConfigError(
          "endpoints",
          `Endpoint ${endpoint.id} is not served by ${upstream.name} (its servers: ${endpoint.servers.map((s) => s.provider).join(", ") || "none"}).`,
        );
      }
    }
  }

  // The token's variables and their order are @fluxkit/queue's too (protocol's findToken).
  const token = options.token ?? findToken(preset, undefined, env);
  if (token === undefined || token === "") {
    throw new ProxyConfigError("token", `No provider token: pass { token } or set ${tokenVariables(preset).join(" or ")} on the server.`);
  }
  if (/[\s\u0000-\u001f\u007f]/.test(token)) {
    throw new ProxyConfigError("token", "The provider token contains whitespace or control characters; check how it is set (a trailing newline?).");
  }

  const secret = options.secret ?? readEnv(env, SECRET_ENV);
  if (secret === undefined || secret.length < MIN_SECRET_LENGTH) {
    throw new ProxyConfigError(
      "secret",
      `${secret === undefined ? "No" : "A too short"} secret for signing request ids: pass { secret } or set ${SECRET_ENV} to at least ${MIN_SECRET_LENGTH} random characters (e.g. \`openssl rand -base64 32\`).`,
    );
  }
  if (secret === token) throw new ProxyConfigError("secret", "The signing secret must not be the provider token.");

  if (options.authorize !== undefined && typeof options.authorize !== "function") {
    throw new ProxyConfigError("authorize", "authorize must be a function (request) => caller id | null.");
  }
  if (options.authorize === undefined && options.allowAnonymous !== true) {
    throw new ProxyConfigError(
      "authorize",
      "No authorize hook: pass authorize(request) returning the caller's id (or null to refuse), or allowAnonymous: true to serve anyone who can reach the route.",
    );
  }
  if (options.authorize !== undefined && options.allowAnonymous === true) {
    throw new ProxyConfigError("allowAnonymous", "Pass either authorize or allowAnonymous: true, not both.");
  }

  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 2) {
    throw new ProxyConfigError("maxBodyBytes", `maxBodyBytes must be a whole number of bytes of at least 2, got ${String(maxBodyBytes)}.`);
  }

  return {
    routes: new RouteTable(endpoints),
    basePath: resolveBasePath(options.basePath ?? DEFAULT_BASE_PATH),
    upstream,
    authorization: authorizationValue(auth, token),
    token,
    secret,
    authorize: options.authorize,
    maxBodyBytes,
    rateLimit: options.rateLimit,
    hosts: options.hosts === undefined ? undefined : new Set(options.hosts.map((h) => h.toLowerCase())),
    allowedOrigins: new Set((options.allowedOrigins ?? []).map(resolveOrigin)),
    fetch: options.fetch ?? ((url, init) => globalThis.fetch(url, init)),
    log: options.log ?? ((message) => console.error(`@fluxkit/proxy: ${message}`)),
  };
}

function resolveUpstream(provider: ProviderName | CustomProvider): {
  upstream: ResolvedConfig["upstream"];
  auth: "bearer" | "key";
  /** The preset whose variable holds the token; undefined for a custom host (FLUXKIT_TOKEN only). */
  preset: ProviderName | undefined;
} {
  if (typeof provider === "string") {
    if (!isProviderName(provider)) {
      throw new ProxyConfigError("provider", `Unknown provider "${String(provider)}": use one of ${providerNames.join(", ")} or { baseUrl, auth }.`);
    }
    const preset = providerPresets[provider];
    return { upstream: { origin: new URL(preset.baseUrl).origin, prefix: "", name: provider }, auth: preset.auth, preset: provider };
  }
  if (provider === null || typeof provider !== "object" || typeof provider.baseUrl !== "string") {
    throw new ProxyConfigError("provider", "provider must be a preset name or { baseUrl, auth }.");
  }
  let url: URL;
  try {
    url = new URL(provider.baseUrl);
  } catch {
    throw new ProxyConfigError("provider", `Invalid provider baseUrl "${provider.baseUrl}": expected an absolute http(s) URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ProxyConfigError("provider", `Invalid provider baseUrl "${provider.baseUrl}": only http and https are supported.`);
  }
  if (provider.auth !== "bearer" && provider.auth !== "key") {
    throw new ProxyConfigError("provider", `Invalid provider auth "${String(provider.auth)}": expected "bearer" or "key".`);
  }
  return { upstream: { origin: url.origin, prefix: url.pathname.replace(/\/+$/, ""), name: "custom" }, auth: provider.auth, preset: undefined };
}

function resolveBasePath(basePath: string): string {
  const trimmed = basePath.replace(/\/+$/, "");
  if (
    trimmed !== "" &&
    (!trimmed.startsWith("/") ||
      trimmed
        .split("/")
        .slice(1)
        .some((s) => !/^[A-Za-z0-9._~-]+$/.test(s) || s === "." || s === ".."))
  ) {
    throw new ProxyConfigError("basePath", `Invalid basePath "${basePath}": expected a path such as /api/fal.`);
  }
  return trimmed;
}

/** `https://app.example`, or a literal such as `app://studio` (an Electron scheme) that URL cannot serialize. */
function resolveOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new ProxyConfigError("allowedOrigins", `Invalid origin "${origin}" in allowedOrigins: expected e.g. https://app.example.`);
  }
  // Non-special schemes have an opaque origin ("null"): compare the literal the browser sends instead.
  return url.origin !== "null" ? url.origin : origin.replace(/\/+$/, "");
}
