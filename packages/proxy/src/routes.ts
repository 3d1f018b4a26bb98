/**
 * The only routes the proxy serves: each listed endpoint's submit path, and the four follow-up
 * routes of its owner/app (specs/queue.yaml). Paths are matched exactly, segment by segment, after
 * refusing anything a path trick is made of; nothing else reaches the upstream.
 */
import type { AnyEndpoint } from "@fluxkit/protocol";

export type QueueRoute = "submit" | "status" | "stream" | "result" | "cancel";

export const ROUTE_METHODS: Readonly<Record<QueueRoute, "GET" | "POST" | "PUT">> = {
  submit: "POST",
  status: "GET",
  stream: "GET",
  result: "GET",
  cancel: "PUT",
};

export type RouteMatch =
  | { readonly route: "submit"; readonly app: string; readonly endpoint: AnyEndpoint }
  | { readonly route: Exclude<QueueRoute, "submit">; readonly app: string; readonly requestId: string };

/** A segment of an endpoint path: what fal's ids are made of. */
const SAFE_SEGMENT = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
const MAX_PATH_LENGTH = 2048;

/**
 * What is wrong with a request path, or undefined. Run on the raw path where the server gives
 * one (the Node adapter), and on the parsed URL's path everywhere. Percent-encoding is refused
 * outright: no endpoint path or request id needs it, and it is what encoded slashes, encoded dots
 * and double encoding are made of.
 */
export function pathProblem(path: string): string | undefined {
  if (path.length > MAX_PATH_LENGTH) return `The path is longer than ${MAX_PATH_LENGTH} characters.`;
  if (path.includes("%")) return "Percent-encoded characters are refused in proxy paths (encoded slashes, dots or double encoding).";
  if (path.includes("\\")) return "Backslashes are refused in proxy paths.";
  const segments = path.split("/").slice(1);
  if (segments.some((s) => s === "." || s === "..")) return 'Dot segments ("." and "..") are refused in proxy paths.';
  if (segments.some((s) => s === "")) return "Empty path segments (//) are refused in proxy paths.";
  return undefined;
}

export class RouteTable {
  readonly #submits = new Map<string, AnyEndpoint>();
  /** owner/app → its endpoints, longest app first so a nested app wins. */
  readonly #apps: { readonly app: string; readonly prefix: string }[];

  constructor(endpoints: readonly AnyEndpoint[]) {
    for (const endpoint of endpoints) this.#submits.set(endpoint.submitPath, endpoint);
    this.#apps = [...new Set(endpoints.map((e) => e.app))].map((app) => ({ app, prefix: `/${app}/` })).sort((a, b) => b.app.length - a.app.length);
  }

  /** `/{owner}/{app}/...` relative to the proxy's base path; a string is the reason for a 404. */
  match(path: string): RouteMatch | string {
    const submit = this.#submits.get(path);
    if (submit !== undefined) return { route: "submit", app: submit.app, endpoint: submit };
    for (const { app, prefix } of this.#apps) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length).split("/");
      if (rest[0] === "requests" && rest[1] !== undefined && rest[1] !== "") {
        const requestId = rest[1];
        const tail = rest.slice(2).join("/");
        if (tail === "") return { route: "result", app, requestId };
        if (tail === "status") return { route: "status", app, requestId };
        if (tail === "status/stream") return { route: "stream", app, requestId };
        if (tail === "cancel") return { route: "cancel", app, requestId };
      }
      return `${path} is not a queue route of ${app}: expected /${app}/requests/{request_id}[/status|/status/stream|/cancel] or the submit path of a served endpoint.`;
    }
    return `No served endpoint at ${path}. This proxy serves: ${[...this.#submits.keys()].join(", ")}.`;
  }

  get submitPaths(): readonly string[] {
    return [...this.#submits.keys()];
  }
}

/** Problems with an endpoint definition passed to the proxy, for the configuration error. */
export function endpointProblem(endpoint: AnyEndpoint): string | undefined {
  if (endpoint === null || typeof endpoint !== "object") return "is not an endpoint definition";
  if (typeof endpoint.id !== "string" || typeof endpoint.app !== "string" || typeof endpoint.submitPath !== "string") {
    return "lacks id, app or submitPath (pass the endpoint from its generated package, e.g. fluxLora from @fluxkit/flux-lora)";
  }
  if (typeof endpoint.validateInput !== "function") return "lacks validateInput";
  const appSegments = endpoint.app.split("/");
  const submitSegments = endpoint.submitPath.split("/").slice(1);
  if (!endpoint.submitPath.startsWith("/") || ![...appSegments, ...submitSegments].every((s) => SAFE_SEGMENT.test(s))) {
    return `has an unsafe app or submit path (${endpoint.app}, ${endpoint.submitPath})`;
  }
  if (
    !endpoint.submitPath.startsWith(`/${endpoint.app}`) ||
    (endpoint.submitPath !== `/${endpoint.app}` && !endpoint.submitPath.startsWith(`/${endpoint.app}/`))
  ) {
    return `has a submit path ${endpoint.submitPath} outside its app ${endpoint.app}`;
  }
  if (submitSegments[appSegments.length] === "requests") return `has a submit path ${endpoint.submitPath} that collides with its follow-up routes`;
  return undefined;
}
