import { createHash, createPublicKey, verify } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LORA, SMALL, client, start } from "./helpers.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const receivers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((close) => close()));
});

async function receiver(): Promise<{ url: string; next: () => Promise<Received> }> {
  const waiting: Array<(r: Received) => void> = [];
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks) };
      const w = waiting.shift();
      if (w === undefined) received.push(r);
      else w(r);
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receivers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    next: () => {
      const r = received.shift();
      return r === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(r);
    },
  };
}

async function verifyDelivery(jwksUrl: string, delivery: Received): Promise<boolean> {
  const jwks = (await (await fetch(jwksUrl)).json()) as { keys: Array<{ kty: string; crv: string; x: string; kid: string }> };
  const h = (name: string) => String(delivery.headers[name]);
  const message = Buffer.from(
    `${h("x-fal-webhook-request-id")}\n${h("x-fal-webhook-user-id")}\n${h("x-fal-webhook-timestamp")}\n${createHash("sha256").update(delivery.body).digest("hex")}`,
  );
  const signature = Buffer.from(h("x-fal-webhook-signature"), "hex");
  return jwks.keys.some((key) => verify(null, message, createPublicKey({ key: { kty: key.kty, crv: key.crv, x: key.x }, format: "jwk" }), signature));
}

describe("webhooks", () => {
  it("delivers the result signed with ED25519, verifiable with the served JWKS", async () => {
    const emulator = await start();
    const hook = await receiver();
    const c = client(emulator);
    const submitted = await c.submit(LORA, { prompt: "hooked", image_size: SMALL }, { query: `fal_webhook=${encodeURIComponent(hook.url)}` });
    expect(submitted.status).toBe(200);
    const delivery = await hook.next();
    expect(delivery.headers["x-fal-webhook-request-id"]).toBe(submitted.body.request_id);
    expect(delivery.headers["x-fal-webhook-user-id"]).toBe("fluxkit-emulator");
    expect(String(delivery.headers["x-fal-webhook-timestamp"])).toMatch(/^\d+$/);
    expect(await verifyDelivery(emulator.jwksUrl, delivery)).toBe(true);

    const body = JSON.parse(delivery.body.toString("utf8"));
    expect(body).toMatchObject({
      request_id: submitted.body.request_id,
      gateway_request_id: submitted.body.request_id,
      status: "OK",
      error: null,
      payload_error: null,
      payload: { prompt: "hooked", images: [expect.objectContaining(SMALL)] },
    });
    const jwks = (await (await fetch(emulator.jwksUrl)).json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", x: expect.any(String), kid: expect.any(String) });

    // A tampered body no longer verifies.
    expect(await verifyDelivery(emulator.jwksUrl, { ...delivery, body: Buffer.from(delivery.body.toString().replace("hooked", "forged")) })).toBe(false);
    expect((await emulator.waitForWebhook(submitted.body.request_id)).responseStatus).toBe(200);
    expect(emulator.stats().webhooks).toEqual({ delivered: 1, failed: 0 });
  });

  it("delivers status ERROR with the failure as payload for a failed job", async () => {
    const emulator = await start();
    const hook = await receiver();
    const c = client(emulator);
    await c.submit(
      LORA,
      { prompt: "x", image_size: SMALL },
      { query: `fal_webhook=${encodeURIComponent(hook.url)}`, headers: { "x-fluxkit-fault": "job-error-422" } },
    );
    const delivery = await hook.next();
    expect(await verifyDelivery(emulator.jwksUrl, delivery)).toBe(true);
    const body = JSON.parse(delivery.body.toString("utf8"));
    expect(body).toMatchObject({ status: "ERROR", error: expect.any(String), payload: { detail: [expect.objectContaining({ loc: ["body", "prompt"] })] } });
  });

  it("redelivers a completed job's delivery on demand: same body, signed anew (an old time makes it stale)", async () => {
    const emulator = await start();
    const hook = await receiver();
    const c = client(emulator);
    const submitted = await c.submit(LORA, { prompt: "again", image_size: SMALL }, { query: `fal_webhook=${encodeURIComponent(hook.url)}` });
    const first = await hook.next();
    const requestId = submitted.body.request_id as string;

    const again = emulator.redeliverWebhook(requestId);
    const second = await hook.next();
    expect((await again).responseStatus).toBe(200);
    expect(second.body.equals(first.body)).toBe(true);
    expect(await verifyDelivery(emulator.jwksUrl, second)).toBe(true);

    const signedAtMs = Date.now() - 10 * 60_000;
    void emulator.redeliverWebhook(requestId, { signedAtMs });
    const stale = await hook.next();
    expect(await verifyDelivery(emulator.jwksUrl, stale)).toBe(true);
    expect(Number(stale.headers["x-fal-webhook-timestamp"])).toBe(Math.floor(signedAtMs / 1000));
    expect(emulator.webhookDeliveries().filter((d) => d.requestId === requestId)).toHaveLength(3);

    await expect(emulator.redeliverWebhook("no-such-job")).rejects.toThrow(/No webhook delivery to repeat/);
  });

  it("refuses webhook targets that are not loopback", async () => {
    const emulator = await start();
    const r = await client(emulator).submit(LORA, { prompt: "x" }, { query: `fal_webhook=${encodeURIComponent("https://example.com/hook")}` });
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({ loc: ["query", "fal_webhook"], type: "value_error" });
    expect(emulator.stats().jobsCreated).toBe(0);
  });
});
