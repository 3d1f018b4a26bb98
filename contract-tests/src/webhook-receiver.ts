/** A loopback HTTP server that records webhook deliveries exactly as received (raw body, headers). */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body: a signature only verifies over the bytes as sent. */
  readonly body: Buffer;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly received: readonly ReceivedWebhook[];
  /** Resolves with the first delivery whose path is `path` (now or later). */
  delivery(path: string): Promise<ReceivedWebhook>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const waiters = new Map<string, Array<(w: ReceivedWebhook) => void>>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const delivery = { path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks) };
      received.push(delivery);
      for (const resolve of waiters.get(delivery.path) ?? []) resolve(delivery);
      waiters.delete(delivery.path);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    delivery(path) {
      const done = received.find((d) => d.path === path);
      if (done !== undefined) return Promise.resolve(done);
      return new Promise((resolve) => {
        const list = waiters.get(path) ?? [];
        list.push(resolve);
        waiters.set(path, list);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
