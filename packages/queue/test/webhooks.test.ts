import { describe, expect, it } from "vitest";
import { WebhookVerificationError, createWebhookVerifier, type FetchLike } from "../src/index.js";
import { fluxLora, sampleOutput } from "./fixtures/endpoints.js";

const JWKS_URL = "https://keys.example/.well-known/jwks.json";
const NOW_S = 1_700_000_000;

async function keyPair() {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  return { privateKey: pair.privateKey, publicJwk: { kty: "OKP", crv: "Ed25519", x: jwk.x } };
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

async function signedDelivery(privateKey: CryptoKey, body: string, options: { requestId?: string; timestamp?: number } = {}) {
  const requestId = options.requestId ?? "req-1";
  const timestamp = String(options.timestamp ?? NOW_S);
  const digest = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body)));
  const message = new TextEncoder().encode(`${requestId}\nuser-7\n${timestamp}\n${digest}`);
  const signature = hex(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, message));
  return {
    body,
    headers: {
      "x-fal-webhook-request-id": requestId,
      "x-fal-webhook-user-id": "user-7",
      "x-fal-webhook-timestamp": timestamp,
      "x-fal-webhook-signature": signature,
    } as Record<string, string>,
  };
}

function jwksFetch(keySets: readonly unknown[][]): { fetch: FetchLike; urls: string[] } {
  const urls: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    urls.push(url);
    expect(new Headers(init.headers).has("authorization")).toBe(false);
    const keys = keySets[Math.min(urls.length - 1, keySets.length - 1)];
    return new Response(JSON.stringify({ keys }), { status: 200 });
  };
  return { fetch, urls };
}

const okBody = JSON.stringify({ request_id: "req-1", gateway_request_id: "req-1", status: "OK", payload: sampleOutput });

describe("webhook verification", () => {
  it("accepts a correctly signed delivery and types its payload from the endpoint", async () => {
    const { privateKey, publicJwk } = await keyPair();
    const { fetch, urls } = jwksFetch([[{ kty: "RSA", n: "x", e: "AQAB" }, publicJwk]]);
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch, now: () => NOW_S * 1000 });
    const delivery = await verifier.verify(await signedDelivery(privateKey, okBody), fluxLora);
    expect(delivery.status).toBe("OK");
    if (delivery.status === "OK") expect(delivery.payload?.images[0]?.url).toBe(sampleOutput.images[0]?.url);
    expect(urls).toEqual([JWKS_URL]);
  });

  it("accepts a Headers object and a byte body", async () => {
    const { privateKey, publicJwk } = await keyPair();
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch: jwksFetch([[publicJwk]]).fetch, now: () => NOW_S * 1000 });
    const signed = await signedDelivery(privateKey, okBody);
    await expect(verifier.verify({ headers: new Headers(signed.headers), body: new TextEncoder().encode(okBody) })).resolves.toMatchObject({
      request_id: "req-1",
    });
  });

  it("rejects a signature from another key (forged)", async () => {
    const trusted = await keyPair();
    const attacker = await keyPair();
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch: jwksFetch([[trusted.publicJwk]]).fetch, now: () => NOW_S * 1000 });
    const error = await verifier.verify(await signedDelivery(attacker.privateKey, okBody)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ reason: "bad_signature" });
  });

  it("rejects a body changed after signing", async () => {
    const { privateKey, publicJwk } = await keyPair();
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch: jwksFetch([[publicJwk]]).fetch, now: () => NOW_S * 1000 });
    const signed = await signedDelivery(privateKey, okBody);
    const tampered = { ...signed, body: okBody.replace("req-1", "req-2") };
    await expect(verifier.verify(tampered)).rejects.toMatchObject({ reason: "bad_signature" });
  });

  it("rejects a stale or future timestamp outside the window, and accepts the window's edge", async () => {
    const { privateKey, publicJwk } = await keyPair();
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch: jwksFetch([[publicJwk]]).fetch, now: () => NOW_S * 1000 });
    await expect(verifier.verify(await signedDelivery(privateKey, okBody, { timestamp: NOW_S - 301 }))).rejects.toMatchObject({ reason: "stale" });
    await expect(verifier.verify(await signedDelivery(privateKey, okBody, { timestamp: NOW_S + 301 }))).rejects.toMatchObject({ reason: "stale" });
    await expect(verifier.verify(await signedDelivery(privateKey, okBody, { timestamp: NOW_S - 300 }))).resolves.toMatchObject({ status: "OK" });
  });

  it("rejects missing headers and a malformed signature", async () => {
    const { privateKey, publicJwk } = await keyPair();
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch: jwksFetch([[publicJwk]]).fetch, now: () => NOW_S * 1000 });
    const signed = await signedDelivery(privateKey, okBody);
    const { ["x-fal-webhook-signature"]: _dropped, ...withoutSignature } = signed.headers;
    await expect(verifier.verify({ body: okBody, headers: withoutSignature })).rejects.toMatchObject({ reason: "missing_header" });
    await expect(verifier.verify({ body: okBody, headers: { ...signed.headers, "x-fal-webhook-signature": "zz" } })).rejects.toMatchObject({
      reason: "bad_signature",
    });
  });

  it("rejects a signed body whose request_id differs from the signed header", async () => {
    const { privateKey, publicJwk } = await keyPair();
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch: jwksFetch([[publicJwk]]).fetch, now: () => NOW_S * 1000 });
    const body = JSON.stringify({ request_id: "other", status: "OK", payload: null });
    await expect(verifier.verify(await signedDelivery(privateKey, body))).rejects.toMatchObject({ reason: "malformed" });
  });

  it("parses an ERROR delivery with payload_error fields", async () => {
    const { privateKey, publicJwk } = await keyPair();
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch: jwksFetch([[publicJwk]]).fetch, now: () => NOW_S * 1000 });
    const body = JSON.stringify({
      request_id: "req-1",
      gateway_request_id: "req-9",
      status: "ERROR",
      error: "Invalid status code: 422",
      payload: { detail: [{ loc: ["body", "prompt"], msg: "field required", type: "value_error.missing" }] },
      payload_error: null,
    });
    const delivery = await verifier.verify(await signedDelivery(privateKey, body));
    expect(delivery).toMatchObject({ status: "ERROR", error: "Invalid status code: 422", gateway_request_id: "req-9" });
  });

  it("caches the key set, and refetches once for an unknown signer after minRefreshMs (rotation)", async () => {
    const oldKey = await keyPair();
    const newKey = await keyPair();
    let nowMs = NOW_S * 1000;
    const { fetch, urls } = jwksFetch([[oldKey.publicJwk], [newKey.publicJwk]]);
    const verifier = createWebhookVerifier({ jwksUrl: JWKS_URL, fetch, now: () => nowMs, minRefreshMs: 60_000 });
    await verifier.verify(await signedDelivery(oldKey.privateKey, okBody));
    await verifier.verify(await signedDelivery(oldKey.privateKey, okBody));
    expect(urls).toHaveLength(1);
    // A new signer within minRefreshMs is not worth a refetch: forged requests cannot drive fetches.
    await expect(verifier.verify(await signedDelivery(newKey.privateKey, okBody))).rejects.toMatchObject({ reason: "bad_signature" });
    expect(urls).toHaveLength(1);
    nowMs += 120_000;
    await expect(verifier.verify(await signedDelivery(newKey.privateKey, okBody, { timestamp: nowMs / 1000 }))).resolves.toMatchObject({ status: "OK" });
    expect(urls).toHaveLength(2);
  });

  it("reports an unreachable key set as jwks_unavailable (retryable)", async () => {
    const { privateKey } = await keyPair();
    const verifier = createWebhookVerifier({
      jwksUrl: JWKS_URL,
      fetch: async () => new Response("nope", { status: 500 }),
      now: () => NOW_S * 1000,
    });
    await expect(verifier.verify(await signedDelivery(privateKey, okBody))).rejects.toMatchObject({
      reason: "jwks_unavailable",
      retryable: true,
    });
  });
});
