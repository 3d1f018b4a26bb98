/**
 * Webhook deliveries signed like fal's: ED25519 over
 * `request_id \n user_id \n timestamp \n hex(sha256(body))`, with the public key served as a JWKS.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

export interface Jwk {
  readonly kty: "OKP";
  readonly crv: "Ed25519";
  readonly x: string;
  readonly kid: string;
  readonly alg: "EdDSA";
  readonly use: "sig";
}

export interface Jwks {
  readonly keys: readonly Jwk[];
}

export interface WebhookDeliveryBody {
  readonly request_id: string;
  readonly gateway_request_id: string;
  readonly status: "OK" | "ERROR";
  readonly payload: unknown;
  readonly error: string | null;
  readonly payload_error: string | null;
}

/** What happened to one delivery, for tests and stats. */
export interface WebhookDeliveryRecord {
  readonly requestId: string;
  readonly url: string;
  readonly status: "OK" | "ERROR";
  /** HTTP status the receiver answered, or undefined when the delivery failed to connect. */
  readonly responseStatus: number | undefined;
  readonly error?: string;
}

export class WebhookSigner {
  readonly #privateKey: KeyObject;
  readonly jwk: Jwk;

  constructor(readonly userId: string) {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    this.#privateKey = privateKey;
    const exported = publicKey.export({ format: "jwk" });
    const x = String(exported.x);
    // kid: RFC 7638-style thumbprint, so it is stable for the key.
    const kid = createHash("sha256")
      .update(JSON.stringify({ crv: "Ed25519", kty: "OKP", x }))
      .digest("base64url");
    this.jwk = { kty: "OKP", crv: "Ed25519", x, kid, alg: "EdDSA", use: "sig" };
  }

  jwks(): Jwks {
    return { keys: [this.jwk] };
  }

  /** The four X-Fal-Webhook-* headers for a body. */
  headers(requestId: string, body: string, nowMs = Date.now()): Record<string, string> {
    const timestamp = String(Math.floor(nowMs / 1000));
    const digest = createHash("sha256").update(body).digest("hex");
    const message = Buffer.from(`${requestId}\n${this.userId}\n${timestamp}\n${digest}`);
    return {
      "x-fal-webhook-request-id": requestId,
      "x-fal-webhook-user-id": this.userId,
      "x-fal-webhook-timestamp": timestamp,
      "x-fal-webhook-signature": sign(null, message, this.#privateKey).toString("hex"),
    };
  }
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** Webhook targets are loopback only: the emulator must never call out to the internet. */
export function checkWebhookUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "fal_webhook must be an absolute http(s) URL.";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "fal_webhook must be an http(s) URL.";
  const host = url.hostname.toLowerCase();
  if (!LOOPBACK_HOSTS.has(host) && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
    return `The emulator only delivers webhooks to loopback addresses (localhost, 127.0.0.1, [::1]); got ${url.hostname}.`;
  }
  return undefined;
}

/** POSTs a signed delivery once (fal retries; the emulator reports instead). `signedAtMs` dates the signature. */
export async function deliverWebhook(
  signer: WebhookSigner,
  url: string,
  delivery: WebhookDeliveryBody,
  signedAtMs = Date.now(),
): Promise<WebhookDeliveryRecord> {
  const body = JSON.stringify(delivery);
  const base = { requestId: delivery.request_id, url, status: delivery.status };
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...signer.headers(delivery.request_id, body, signedAtMs) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer().catch(() => undefined);
    return { ...base, responseStatus: response.status };
  } catch (error) {
    return { ...base, responseStatus: undefined, error: (error as Error).message };
  }
}
