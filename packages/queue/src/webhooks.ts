/**
 * Webhook deliveries (`?fal_webhook=`) and their verification: ED25519 over
 * `request_id \n user_id \n timestamp \n hex(sha256(raw body))`, keys from a JWKS, within a
 * timestamp window. WebCrypto only, so it runs on Node 20, browsers, workers and edge runtimes.
 */
import { BodyTooLargeError, discardBody, raceSignal, readText } from "./body.js";
import type { EndpointDefinition } from "@fluxkit/protocol";
import { FluxkitError } from "./errors.js";
import { isRecord } from "./is-record.js";
import type { FetchLike } from "./http.js";

/** fal's published signing keys. */
export const FAL_WEBHOOK_JWKS_URL = "https://rest.alpha.fal.ai/.well-known/jwks.json";

interface DeliveryBase {
  readonly request_id: string;
  /** The id of the last attempt when the job was retried; otherwise equal to request_id. */
  readonly gateway_request_id?: string;
  /** Set when the output could not be serialized as JSON; `payload` is then null. */
  readonly payload_error?: string | null;
}

export interface WebhookSuccess<Output> extends DeliveryBase {
  readonly status: "OK";
  readonly payload: Output | null;
  readonly error?: null;
}

export interface WebhookFailure extends DeliveryBase {
  readonly status: "ERROR";
  /** The failure's details, e.g. `{ detail: [{ loc, msg, type }] }`. */
  readonly payload: unknown;
  readonly error: string;
}

export type WebhookDelivery<Output = unknown> = WebhookSuccess<Output> | WebhookFailure;

export type WebhookVerificationReason = "missing_header" | "stale" | "bad_signature" | "malformed" | "jwks_unavailable";

export class WebhookVerificationError extends FluxkitError {
  override readonly name: string = "WebhookVerificationError";
  readonly reason: WebhookVerificationReason;
  constructor(message: string, reason: WebhookVerificationReason, cause?: unknown) {
    super(message, { retryable: reason === "jwks_unavailable", cause });
    this.reason = reason;
  }
}

export interface WebhookRequest {
  /** A Headers object or a plain header map (e.g. Node's `req.headers`). */
  readonly headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body exactly as received; re-serialized JSON will not verify. */
  readonly body: string | Uint8Array | ArrayBuffer;
}

export interface WebhookVerifierOptions {
  readonly jwksUrl?: string;
  /** Used to fetch the JWKS (no credentials are sent). Defaults to the global fetch. */
  readonly fetch?: FetchLike;
  /** Accepted clock difference in seconds. Default 300. */
  readonly toleranceSeconds?: number;
  /** How long fetched keys are reused. Default 24 h. */
  readonly cacheTtlMs?: number;
  /** Minimum gap between refetches triggered by an unknown key (rotation). Default 5 min. */
  readonly minRefreshMs?: number;
  /** A key fetch that has not fully answered after this long fails (`jwks_unavailable`). Default 10 s. */
  readonly jwksTimeoutMs?: number;
  /** Current time in ms (tests). */
  readonly now?: () => number;
}

export interface WebhookVerifier {
  /** Verifies and parses a delivery; throws WebhookVerificationError when it is not authentic. */
  verify<Output = unknown>(request: WebhookRequest, endpoint?: EndpointDefinition<unknown, Output>): Promise<WebhookDelivery<Output>>;
}

export function createWebhookVerifier(options: WebhookVerifierOptions = {}): WebhookVerifier {
  const jwksUrl = options.jwksUrl ?? FAL_WEBHOOK_JWKS_URL;
  const doFetch: FetchLike = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const now = options.now ?? (() => Date.now());
  const tolerance = options.toleranceSeconds ?? 300;
  const ttl = options.cacheTtlMs ?? 24 * 60 * 60 * 1000;
  const minRefresh = options.minRefreshMs ?? 5 * 60 * 1000;
  const jwksTimeout = options.jwksTimeoutMs ?? 10_000;
  if (!(typeof jwksTimeout === "number" && Number.isFinite(jwksTimeout) && jwksTimeout > 0)) {
    throw new FluxkitError(`jwksTimeoutMs must be a positive number of ms, got ${String(jwksTimeout)}.`);
  }
  let cache: { keys: CryptoKey[]; fetchedAt: number } | undefined;
  let inFlight: Promise<CryptoKey[]> | undefined;

  const loadKeys = (force: boolean): Promise<CryptoKey[]> => {
    if (!force && cache !== undefined && now() - cache.fetchedAt < ttl) return Promise.resolve(cache.keys);
    // One fetch at a time, however many deliveries arrive together. It always settles (bounded
    // in time and size), and a failed one is forgotten, so the next delivery tries again.
    inFlight ??= fetchJwks(doFetch, jwksUrl, jwksTimeout)
      .then((keys) => {
        cache = { keys, fetchedAt: now() };
        return keys;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };

  const verify = async <Output>(request: WebhookRequest): Promise<WebhookDelivery<Output>> => {
    const requestId = header(request.headers, "x-fal-webhook-request-id");
    const userId = header(request.headers, "x-fal-webhook-user-id");
    const timestamp = header(request.headers, "x-fal-webhook-timestamp");
    const signatureHex = header(request.headers, "x-fal-webhook-signature");
    if (requestId === undefined || userId === undefined || timestamp === undefined || signatureHex === undefined) {
      throw new WebhookVerificationError("Missing webhook signature headers (X-Fal-Webhook-Request-Id, -User-Id, -Timestamp, -Signature).", "missing_header");
    }
    if (!/^\d+$/.test(timestamp) || Math.abs(now() / 1000 - Number(timestamp)) > tolerance) {
      throw new WebhookVerificationError(`Webhook timestamp ${timestamp} is outside the accepted window of ±${tolerance} s.`, "stale");
    }
    const signature = fromHex(signatureHex);
    if (signature === undefined || signature.length !== 64) {
      throw new WebhookVerificationError("The webhook signature is not 64 bytes of hex.", "bad_signature");
    }
    const body = toBytes(request.body);
    const digest = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", body)));
    const message = new TextEncoder().encode(`${requestId}\n${userId}\n${timestamp}\n${digest}`);

    const fetchedBefore = cache?.fetchedAt;
    let keys = await loadKeys(false);
    let valid = await verifyWithAny(keys, signature, message);
    // Unknown signer with cached keys: the keys may have rotated; refetch, but not on every forgery.
    if (!valid && fetchedBefore !== undefined && now() - fetchedBefore >= minRefresh) {
      keys = await loadKeys(true);
      valid = await verifyWithAny(keys, signature, message);
    }
    if (!valid) throw new WebhookVerificationError("The webhook signature does not verify.", "bad_signature");
    return parseDelivery<Output>(new TextDecoder().decode(body), requestId);
  };

  return {
    async verify<Output>(request: WebhookRequest): Promise<WebhookDelivery<Output>> {
      try {
        return await verify<Output>(request);
      } catch (error) {
        // Whatever else goes wrong (a request of the wrong shape, a crypto failure) is a refusal too.
        if (error instanceof WebhookVerificationError) throw error;
        throw new WebhookVerificationError(
          `The webhook delivery could not be verified: ${error instanceof Error ? error.message.slice(0, 200) : "unknown failure"}.`,
          "malformed",
          error,
        );
      }
    },
  };
}

/** A key set is a few hundred bytes; a host sending more is not serving keys. */
const MAX_JWKS_BYTES = 256 * 1024;

async function fetchJwks(doFetch: FetchLike, url: string, timeoutMs: number): Promise<CryptoKey[]> {
  let body: unknown;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
  try {
    // Raced against the signal as well: an injected fetch (or its body) may ignore it.
    const response = await raceSignal(
      doFetch(url, { method: "GET", headers: { accept: "application/json" }, signal: controller.signal }),
      controller.signal,
      discardBody,
    );
    if (!response.ok) {
      discardBody(response);
      throw new Error(`HTTP ${response.status}`);
    }
    const { text } = await readText(response, { maxBytes: MAX_JWKS_BYTES, signal: controller.signal });
    body = JSON.parse(text);
  } catch (cause) {
    const reason =
      cause instanceof BodyTooLargeError
        ? `more than ${MAX_JWKS_BYTES} bytes`
        : controller.signal.aborted
          ? `no complete answer within ${timeoutMs} ms`
          : cause instanceof Error
            ? cause.message.slice(0, 200)
            : "unknown failure";
    throw new WebhookVerificationError(
      `Could not fetch the webhook keys from ${url} (${reason}); the delivery is not accepted. fal retries deliveries, so a later one can verify.`,
      "jwks_unavailable",
      cause,
    );
  } finally {
    clearTimeout(timer);
  }
  const entries = isRecord(body) && Array.isArray(body.keys) ? body.keys : [];
  const keys: CryptoKey[] = [];
  for (const jwk of entries) {
    if (!isRecord(jwk) || jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") continue;
    try {
      keys.push(await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]));
    } catch {
      // A malformed key is skipped; the others may still verify.
    }
  }
  if (keys.length === 0) {
    throw new WebhookVerificationError(`The key set at ${url} holds no Ed25519 keys.`, "jwks_unavailable");
  }
  return keys;
}

async function verifyWithAny(keys: readonly CryptoKey[], signature: Uint8Array<ArrayBuffer>, message: Uint8Array<ArrayBuffer>): Promise<boolean> {
  for (const key of keys) {
    if (await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message)) return true;
  }
  return false;
}

function parseDelivery<Output>(text: string, requestId: string): WebhookDelivery<Output> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (cause) {
    throw new WebhookVerificationError("The webhook body is not JSON.", "malformed", cause);
  }
  if (!isRecord(body) || (body.status !== "OK" && body.status !== "ERROR")) {
    throw new WebhookVerificationError('The webhook body has no status "OK" or "ERROR".', "malformed");
  }
  // The signed header id must name the job the body talks about.
  if (body.request_id !== requestId) {
    throw new WebhookVerificationError("The webhook body's request_id differs from the signed header.", "malformed");
  }
  return body as unknown as WebhookDelivery<Output>;
}

function header(headers: WebhookRequest["headers"], name: string): string | undefined {
  if (typeof Headers !== "undefined" && headers instanceof Headers) return headers.get(name) ?? undefined;
  const map = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(map).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : map[key];
  const first = Array.isArray(value) ? (value[0] as string | undefined) : (value as string | undefined);
  return first === undefined || first === "" ? undefined : first.trim();
}

function toBytes(body: WebhookRequest["body"]): Uint8Array<ArrayBuffer> {
  if (typeof body === "string") return new TextEncoder().encode(body);
  // A copy: WebCrypto wants an ArrayBuffer-backed view, and Node Buffers may share a pool.
  return new Uint8Array(body);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return undefined;
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}
