/**
 * Jobs belong to their callers. The browser never sees the upstream request id alone: it gets
 * `<base64url(upstream id)>.<base64url(HMAC-SHA256(secret, [caller, app, upstream id]))>`, and
 * every follow-up is verified against the caller making it. Another caller's id (or a forged,
 * edited or other-app id) fails the check and is answered like an unknown id. Stateless: any
 * instance holding the same secret verifies, and nothing is stored. WebCrypto only, so it runs
 * wherever a Fetch handler runs.
 */

const MAX_UPSTREAM_ID_LENGTH = 256;
const ID_SHAPE = /^([A-Za-z0-9_-]{1,344})\.([A-Za-z0-9_-]{43})$/;

export class RequestIdSigner {
  readonly #key: Promise<CryptoKey>;

  constructor(secret: string) {
    this.#key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  }

  /** The id the caller gets for an upstream request id. */
  async sign(caller: string, app: string, upstreamId: string): Promise<string> {
    if (upstreamId.length === 0 || upstreamId.length > MAX_UPSTREAM_ID_LENGTH) {
      throw new Error(`The upstream request id has ${upstreamId.length} characters; expected 1 to ${MAX_UPSTREAM_ID_LENGTH}.`);
    }
    const mac = await crypto.subtle.sign("HMAC", await this.#key, message(caller, app, upstreamId));
    return `${toBase64Url(new TextEncoder().encode(upstreamId))}.${toBase64Url(new Uint8Array(mac))}`;
  }

  /** The upstream id, when `id` was signed for this caller and app; undefined otherwise. */
  async verify(caller: string, app: string, id: string): Promise<string | undefined> {
    const match = ID_SHAPE.exec(id);
    if (match === null) return undefined;
    let upstreamId: string;
    let mac: Uint8Array<ArrayBuffer>;
    try {
      upstreamId = new TextDecoder("utf-8", { fatal: true }).decode(fromBase64Url(match[1] as string));
      mac = fromBase64Url(match[2] as string);
    } catch {
      return undefined;
    }
    if (upstreamId.length === 0 || upstreamId.length > MAX_UPSTREAM_ID_LENGTH) return undefined;
    // verify() compares in constant time.
    const valid = await crypto.subtle.verify("HMAC", await this.#key, mac, message(caller, app, upstreamId));
    return valid ? upstreamId : undefined;
  }
}

/** A JSON array: unambiguous whatever characters the caller id holds. */
function message(caller: string, app: string, upstreamId: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(["fluxkit-proxy/v1", caller, app, upstreamId]));
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
