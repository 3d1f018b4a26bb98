/**
 * The proxy: a Fetch handler, `(request) => Promise<Response>`, for Next.js route handlers, Hono,
 * Workers, Deno and Bun (and Node through `@fluxkit/proxy/node`). Every request is checked in
 * this order, and nothing reaches the upstream unless it passes all of it:
 *
 * host → target header → origin → path → route → method → query → caller → rate limit →
 * (submit) content type, fal headers, body size, JSON, the endpoint's own validator
 * (follow-up) the request id is the caller's.
 */
import { requestPath } from "@fluxkit/protocol";
import { readBodyCapped } from "./body.js";
import { type ProxyOptions, type ResolvedConfig, resolveOptions } from "./options.js";
import { jsonResponse, refuse } from "./refusal.js";
import { RequestIdSigner } from "./request-ids.js";
import { pathProblem, ROUTE_METHODS, type RouteMatch } from "./routes.js";
import { type CallerJob, forwardedHeaders, relayEventStream, relayJson, rewriteJob } from "./upstream.js";

export type ProxyHandler = (request: Request) => Promise<Response>;

/** fal's client names its target in this header; here the path alone says where a request goes. */
const TARGET_HEADER = "x-fal-target-url";
const ANONYMOUS = "anonymous";
const CORS_METHODS = "GET, POST, PUT";
const EXPOSED_HEADERS = "retry-after, x-fal-request-id, x-fal-error-type, x-fal-retryable";

/** Creates the handler; a configuration it cannot serve safely throws `ProxyConfigError` here. */
export function createProxy(options: ProxyOptions): ProxyHandler {
  const config = resolveOptions(options);
  const signer = new RequestIdSigner(config.secret);
  const redact = (text: string) => text.split(config.token).join("[redacted]");
  const log = (message: string) => {
    try {
      config.log(redact(message));
    } catch {
      // A failing logger must not turn into a failed request.
    }
  };
  const context: Context = { config, signer, redact, log };
  return async (request) => {
    let response: Response;
    try {
      response = await handle(request, context);
    } catch (error) {
      log(`unexpected failure on ${request.method} ${safePath(request)}: ${describe(error)}`);
      response = refuse(500, "proxy_internal_error", "The proxy failed unexpectedly; the server log says why.");
    }
    return withCors(request, response, config);
  };
}

interface Context {
  readonly config: ResolvedConfig;
  readonly signer: RequestIdSigner;
  readonly redact: (text: string) => string;
  readonly log: (message: string) => void;
}

async function handle(request: Request, { config, signer, redact, log }: Context): Promise<Response> {
  const url = new URL(request.url);
  const method = request.method.toUpperCase();

  // Where the request is aimed: this host only, never a target named by the caller.
  if (config.hosts !== undefined && !config.hosts.has(url.host.toLowerCase())) {
    return refuse(403, "proxy_foreign_host", `Host ${url.host} is not served by this proxy.`);
  }
  if (request.headers.has(TARGET_HEADER)) {
    return refuse(
      400,
      "proxy_header_rejected",
      `This proxy takes no ${TARGET_HEADER} header: the path alone names the endpoint (POST ${config.basePath}/{owner}/{app}), and the upstream is fixed on the server.`,
    );
  }
  const origin = request.headers.get("origin");
  const foreignOrigin = origin !== null && origin !== url.origin && !config.allowedOrigins.has(origin);
  if (foreignOrigin || (origin === null && request.headers.get("sec-fetch-site") === "cross-site")) {
    return refuse(
      403,
      "proxy_foreign_host",
      `Requests from ${origin ?? "another site"} are refused: this proxy serves pages of its own origin${config.allowedOrigins.size > 0 ? " and its allowedOrigins" : ""}.`,
    );
  }
  if (method === "OPTIONS" && origin !== null && origin !== url.origin) return preflight(request, origin);

  // Which route: the path is checked before it is matched, and matched exactly.
  const problem = pathProblem(url.pathname);
  if (problem !== undefined) return refuse(400, "proxy_path_rejected", problem);
  if (url.pathname !== config.basePath && !url.pathname.startsWith(`${config.basePath}/`)) {
    return refuse(404, "proxy_route_not_found", `${url.pathname} is outside this proxy's base path ${config.basePath || "/"}.`);
  }
  const match = config.routes.match(url.pathname.slice(config.basePath.length));
  if (typeof match === "string") return refuse(404, "proxy_route_not_found", match);
  const expected = ROUTE_METHODS[match.route];
  if (method !== expected) {
    return refuse(405, "proxy_method_not_allowed", `${method} is not allowed on the ${match.route} route; use ${expected}.`, { headers: { allow: expected } });
  }
  const queryProblem = checkQuery(url.searchParams, match);
  if (queryProblem !== undefined) return refuse(400, "proxy_query_rejected", queryProblem);

  // Who is calling, and may they now.
  let caller: string | null | undefined;
  if (config.authorize === undefined) caller = ANONYMOUS;
  else {
    try {
      caller = await config.authorize(request);
    } catch (error) {
      log(`authorize threw on ${method} ${url.pathname}: ${describe(error)}`);
      return refuse(500, "proxy_internal_error", "Authorization failed on the server; the server log says why.");
    }
  }
  if (typeof caller !== "string" || caller === "") {
    return refuse(401, "proxy_unauthorized", "Not signed in: this proxy serves only callers its server authorizes.", {
      headers: { "www-authenticate": 'Session realm="fluxkit-proxy"' },
    });
  }
  if (config.rateLimit !== undefined) {
    const verdict = await config.rateLimit({
      caller,
      route: match.route,
      app: match.app,
      endpointId: match.route === "submit" ? match.endpoint.id : undefined,
      request,
    });
    if (!verdict.allowed) {
      const retryAfter = verdict.retryAfterSeconds;
      const wait = retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.ceil(retryAfter) : undefined;
      return refuse(
        429,
        "proxy_rate_limited",
        `Rate limit reached${verdict.message === undefined ? "" : `: ${verdict.message}`}.${wait === undefined ? "" : ` Try again in ${wait} s.`}`,
        { retryable: true, headers: wait === undefined ? {} : { "retry-after": String(wait) } },
      );
    }
  }

  const upstreamBase = `${config.upstream.origin}${config.upstream.prefix}`;
  const callerJob = (id: string): CallerJob => ({ id, base: `${url.origin}${config.basePath}${requestPath(match.app, id)}` });

  if (match.route === "submit") {
    const contentType = request.headers.get("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(contentType.trim())) {
      return refuse(
        415,
        "proxy_unsupported_media_type",
        `A submit must be JSON (Content-Type: application/json), got ${contentType === "" ? "none" : contentType}.`,
      );
    }
    const falHeaders = submitHeaders(request.headers);
    if (typeof falHeaders === "string") return refuse(400, "proxy_header_rejected", falHeaders);
    const body = await readBodyCapped(request, config.maxBodyBytes);
    if (!body.ok) {
      return refuse(
        413,
        "proxy_body_too_large",
        `The request body ${body.received === undefined ? "is" : `has ${body.received} bytes,`} over this proxy's limit of ${config.maxBodyBytes} bytes (maxBodyBytes). Large images belong in storage, referenced by URL.`,
      );
    }
    let input: unknown;
    try {
      input = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(body.bytes));
    } catch (error) {
      return refuse(400, "proxy_invalid_json", `The request body is not valid JSON: ${describe(error)}`);
    }
    const issues = match.endpoint.validateInput(input);
    if (issues.length > 0) {
      // fal's 422 shape, so clients map it to field errors.
      return refuse(
        422,
        "proxy_invalid_input",
        issues.map((issue) => ({ loc: ["body", ...(issue.path === "" ? [] : issue.path.split(".").map(pathKey))], msg: issue.message, type: issue.keyword })),
      );
    }
    const upstream = await forward(`${upstreamBase}${match.endpoint.submitPath}`, {
      method: "POST",
      headers: { authorization: config.authorization, accept: "application/json", "content-type": "application/json", ...falHeaders },
      // Re-serialized: the upstream gets exactly the value that was validated.
      body: JSON.stringify(input),
      signal: request.signal,
    });
    if (upstream instanceof Response && upstream.ok) {
      const text = redact(await upstream.text());
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        log(`the upstream answered a submit to ${match.endpoint.id} with ${upstream.status} and a body that is not JSON.`);
        return refuse(502, "proxy_upstream_protocol", "The upstream answered the submit with something that is not JSON; a job may have been created.");
      }
      const upstreamId = isRecord(answer) && typeof answer.request_id === "string" ? answer.request_id : undefined;
      if (upstreamId === undefined) {
        log(`the upstream answered a submit to ${match.endpoint.id} without a request_id.`);
        return refuse(502, "proxy_upstream_protocol", "The upstream answered the submit without a request_id; a job may have been created.");
      }
      const job = callerJob(await signer.sign(caller, match.app, upstreamId));
      return jsonResponse(upstream.status, rewriteJob(answer, upstreamId, job), forwardedHeaders(upstream, job));
    }
    return relayFailure(upstream, `submit to ${match.endpoint.id}`, { redact, log });
  }

  // A follow-up: only on a request id this caller was given for this app.
  const upstreamId = await signer.verify(caller, match.app, match.requestId);
  if (upstreamId === undefined) {
    return refuse(404, "proxy_request_not_found", `Request ${match.requestId} not found for this caller under ${match.app}.`);
  }
  const job = callerJob(match.requestId);
  const base = `${upstreamBase}${requestPath(match.app, upstreamId)}`;
  const suffix = { result: "", status: "/status", stream: "/status/stream", cancel: "/cancel" }[match.route];
  const logs = url.searchParams.get("logs") === "1" ? "?logs=1" : "";
  const upstream = await forward(`${base}${suffix}${logs}`, {
    method: expected,
    headers: { authorization: config.authorization, accept: match.route === "stream" ? "text/event-stream" : "application/json" },
    signal: request.signal,
  });
  if (!(upstream instanceof Response) || upstream.status === 401 || upstream.status === 403) {
    return relayFailure(upstream, match.route, { redact, log });
  }
  if (match.route === "stream" && upstream.ok && (upstream.headers.get("content-type") ?? "").includes("text/event-stream")) {
    return relayEventStream(upstream, { redact, upstreamId, job });
  }
  const relayed = await relayJson(upstream, { redact, upstreamId, job });
  if (relayed === "not-json") {
    log(`the upstream answered ${match.route} with ${upstream.status} and a body that is not JSON.`);
    return refuse(502, "proxy_upstream_protocol", `The upstream answered ${match.route} with something that is not JSON.`, { retryable: undefined });
  }
  return relayed;

  async function forward(target: string, init: RequestInit): Promise<Response | Error> {
    try {
      return await config.fetch(target, init);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}

/** An upstream that could not be reached, refused the proxy's token, or failed a submit. */
async function relayFailure(upstream: Response | Error, operation: string, { redact, log }: Pick<Context, "redact" | "log">): Promise<Response> {
  if (upstream instanceof Error) {
    log(`could not reach the upstream for ${operation}: ${describe(upstream)}`);
    return refuse(502, "proxy_upstream_unreachable", "The upstream provider could not be reached.", { retryable: undefined });
  }
  if (upstream.status === 401 || upstream.status === 403) {
    await upstream.body?.cancel().catch(() => undefined);
    log(`the upstream refused the proxy's credentials (${upstream.status}) for ${operation}: check the server's provider token.`);
    return refuse(502, "proxy_upstream_auth", "The upstream provider refused this server's credentials; the server's operator must fix its token.");
  }
  const relayed = await relayJson(upstream, { redact, upstreamId: undefined, job: undefined });
  if (relayed === "not-json") return refuse(502, "proxy_upstream_protocol", `The upstream answered ${operation} with something that is not JSON.`);
  return relayed;
}

/** Query parameters: `logs=0|1` on status routes, nothing anywhere else (no webhooks from browsers). */
function checkQuery(params: URLSearchParams, match: RouteMatch): string | undefined {
  for (const [name, value] of params) {
    if ((match.route === "status" || match.route === "stream") && name === "logs" && (value === "0" || value === "1")) continue;
    return `Query parameter ${JSON.stringify(name)} is not accepted on the ${match.route} route${match.route === "status" || match.route === "stream" ? " (only logs=0 or logs=1)" : ""}.`;
  }
  return undefined;
}

/** The fal headers a browser may set on a submit, checked; any other header is not forwarded. */
function submitHeaders(headers: Headers): Record<string, string> | string {
  const out: Record<string, string> = {};
  const priority = headers.get("x-fal-queue-priority");
  if (priority !== null) {
    if (priority !== "low" && priority !== "normal") return `x-fal-queue-priority must be low or normal, got ${JSON.stringify(priority.slice(0, 40))}.`;
    out["x-fal-queue-priority"] = priority;
  }
  const timeout = headers.get("x-fal-request-timeout");
  if (timeout !== null) {
    const seconds = Number(timeout);
    if (!/^\d+(\.\d+)?$/.test(timeout.trim()) || !(seconds > 0))
      return `X-Fal-Request-Timeout must be a positive number of seconds, got ${JSON.stringify(timeout.slice(0, 40))}.`;
    out["x-fal-request-timeout"] = String(seconds);
  }
  if (headers.has("x-fal-no-retry")) out["x-fal-no-retry"] = "1";
  return out;
}

function preflight(request: Request, origin: string): Response {
  const asked = request.headers.get("access-control-request-headers") ?? "";
  const allowedHeaders = asked
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter((h) => /^[a-z0-9-]+$/.test(h) && h !== TARGET_HEADER);
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "access-control-allow-methods": CORS_METHODS,
      "access-control-allow-headers": allowedHeaders.join(", "),
      "access-control-max-age": "600",
      vary: "Origin",
    },
  });
}

/** CORS headers for an allowed other origin (the origin check already refused all others). */
function withCors(request: Request, response: Response, config: ResolvedConfig): Response {
  const origin = request.headers.get("origin");
  if (origin === null || !config.allowedOrigins.has(origin) || response.headers.has("access-control-allow-origin")) return response;
  const headers = new Headers(response.headers);
  headers.set("access-control-allow-origin", origin);
  headers.set("access-control-allow-credentials", "true");
  headers.set("access-control-expose-headers", EXPOSED_HEADERS);
  headers.append("vary", "Origin");
  return new Response(response.body, { status: response.status, headers });
}

function pathKey(segment: string): string | number {
  return /^\d+$/.test(segment) ? Number(segment) : segment;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

function safePath(request: Request): string {
  try {
    return new URL(request.url).pathname.slice(0, 200);
  } catch {
    return "(unparseable URL)";
  }
}
