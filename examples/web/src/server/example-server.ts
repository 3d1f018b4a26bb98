/**
 * The example's server, offline: the embedded emulator plays fal (and accepts only this server's
 * token), `@fluxkit/proxy` is mounted at /api/fal in front of it, and the page is served from
 * memory. Visitors get a session cookie on the page; the proxy's `authorize` hook accepts only
 * sessions this server issued, so every job belongs to the tab's session.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createEmulator, type Emulator, type LatencySettings } from "@fluxkit/emulator";
import { fluxLora } from "@fluxkit/flux-lora";
import { createProxy, createSubmitLimiter } from "@fluxkit/proxy";
import { type NodeHandler, toNodeHandler } from "@fluxkit/proxy/node";
import { buildPage } from "./build-page.js";

export interface ExampleServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  /** The emulator's pace; "realistic" by default so progress and cancel can be watched. */
  readonly latency?: "instant" | "fast" | "realistic" | "manual" | LatencySettings;
  /** Jobs the emulator runs at once (1 makes queue positions visible). */
  readonly concurrency?: number;
  /** The provider token the proxy holds; random by default (the emulator accepts only it). */
  readonly token?: string;
}

export interface ExampleServer {
  readonly url: string;
  readonly emulator: Emulator;
  close(): Promise<void>;
}

const SESSION_COOKIE = "fluxkit_session";

export async function startExampleServer(options: ExampleServerOptions = {}): Promise<ExampleServer> {
  const token = options.token ?? `example-${randomBytes(24).toString("hex")}`;
  const emulator = await createEmulator({ provider: "fal", token, latency: options.latency ?? "realistic", concurrency: options.concurrency ?? 1 });
  const page = await buildPage();
  const sessions = new Set<string>();

  let proxy: NodeHandler | undefined;
  const server = createServer((req, res) => {
    if ((req.url ?? "/").startsWith("/api/")) {
      if (proxy === undefined) return void res.writeHead(503).end();
      return proxy(req, res);
    }
    servePage(req, res);
  });
  const servePage = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const file = page.get(path);
    if (file === undefined || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found.");
      return;
    }
    const headers: Record<string, string> = {
      "content-type": file.contentType,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "content-security-policy": `default-src 'self'; img-src 'self' data: ${emulator.url}; style-src 'self' 'unsafe-inline'`,
    };
    if (path === "/" && sessionOf(req.headers.cookie) === undefined) {
      const session = randomBytes(18).toString("base64url");
      sessions.add(session);
      headers["set-cookie"] = `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : file.body);
  };
  const sessionOf = (cookie: string | null | undefined): string | undefined => {
    const match = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([A-Za-z0-9_-]+)`).exec(cookie ?? "");
    return match?.[1] !== undefined && sessions.has(match[1]) ? match[1] : undefined;
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  proxy = toNodeHandler(
    createProxy({
      endpoints: [fluxLora],
      provider: { baseUrl: emulator.url, auth: emulator.auth },
      token,
      // A fresh secret per start: request ids from an earlier run are refused, like any unknown id.
      secret: randomBytes(32).toString("base64url"),
      authorize: (request) => sessionOf(request.headers.get("cookie")),
      rateLimit: createSubmitLimiter({ max: 30, windowMs: 60_000 }),
      hosts: [`127.0.0.1:${port}`, `localhost:${port}`],
    }),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    emulator,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await emulator.close();
    },
  };
}
