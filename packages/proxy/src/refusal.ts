/**
 * Every answer the proxy makes itself: JSON `{ detail, error_type }` in fal's error shape, so the
 * queue client maps it to its typed errors, and never cached or sniffed as anything else.
 */

/** Why the proxy refused a request; also the `error_type` of the answer. */
export type RefusalReason =
  | "proxy_foreign_host"
  | "proxy_path_rejected"
  | "proxy_route_not_found"
  | "proxy_method_not_allowed"
  | "proxy_query_rejected"
  | "proxy_header_rejected"
  | "proxy_unauthorized"
  | "proxy_rate_limited"
  | "proxy_unsupported_media_type"
  | "proxy_body_too_large"
  | "proxy_invalid_json"
  | "proxy_invalid_input"
  | "proxy_request_not_found"
  | "proxy_upstream_auth"
  | "proxy_upstream_unreachable"
  | "proxy_upstream_protocol"
  | "proxy_internal_error";

/** Headers on every answer of the proxy, its own or forwarded. */
export const SAFE_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

export function jsonResponse(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...SAFE_RESPONSE_HEADERS, "content-type": "application/json", ...headers },
  });
}

export interface RefuseOptions {
  /** Whether repeating the same request may succeed; `undefined` leaves it to the client's rules. */
  readonly retryable?: boolean | undefined;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An answer of the proxy's own. Refusals are not retryable by default (`X-Fal-Retryable: false`):
 * repeating the same request cannot help.
 */
export function refuse(status: number, reason: RefusalReason, detail: unknown, options: RefuseOptions = {}): Response {
  const retryable = "retryable" in options ? options.retryable : false;
  return jsonResponse(
    status,
    { detail, error_type: reason },
    { "x-fal-error-type": reason, ...(retryable === undefined ? {} : { "x-fal-retryable": String(retryable) }), ...options.headers },
  );
}
