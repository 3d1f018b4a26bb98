/**
 * A server that echoes the token into everything it sends, placed so that each of the client's
 * cuts (and the edge of the window it redacts before cutting) falls at every offset of the
 * token, from just before its first character to just after its last. No error may show a
 * run of 4 or more of its characters in any field.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { createQueueClient, FluxkitError, type QueueClient } from "../../src/index.js";
import { fluxLora } from "../fixtures/endpoints.js";
import { jobPath, leaksOf, sendJson, tally, TOKEN, suiteServer, watchSuite } from "./harness.js";

/** Where the client cuts each kind of string it shows (redact.ts / http.ts / client.ts). */
const SCENARIOS = {
  // route status: an error body's detail, a plain-text body, a 2xx that is not JSON
  detail: 300,
  "text-body": 500,
  "not-json": 120,
  // echoed headers and the body's error_type
  "header-request-id": 200,
  "header-error-type": 100,
  "body-error-type": 100,
  // a 422's issues
  "issue-msg": 300,
  "issue-loc": 100,
  "issue-type": 100,
  // an unknown status value; a COMPLETED status with an error (the run's JobFailedError)
  "status-value": 100,
  "job-error": 500,
  // a redirect's Location
  location: 300,
  // the status stream: data that is not JSON, a wrong content type
  "stream-data": 120,
  "content-type": 100,
  // a submit answer: a foreign status_url, a request_id holding the token
  "submit-url": 300,
  "submit-request-id": 200,
  // a transport error quoting the token (an injected fetch or a proxy)
  "transport-message": 200,
} as const;
type Scenario = keyof typeof SCENARIOS;

/**
 * The token placed so that position `cut` falls `k` characters into it. Two more copies come
 * first: redacting them shortens the text, which pulls what lay past the redacted window's edge
 * back in front of the cut (a partial token there must be dropped, not shown).
 */
const LEADING = `${TOKEN}-${TOKEN}-`;
function around(cut: number, k: number, prefix = ""): string {
  return `${prefix}${LEADING}${"a".repeat(Math.max(0, cut - k - prefix.length - LEADING.length))}${TOKEN}${"z".repeat(40)}`;
}

function parse(path: string): { scenario: Scenario; cut: number; k: number } | undefined {
  const match = /\/requests\/e~([a-z-]+)~(\d+)~(-?\d+)/.exec(path);
  if (match === null) return undefined;
  return { scenario: match[1] as Scenario, cut: Number(match[2]), k: Number(match[3]) };
}

function handler(base: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    const submitScenario = req.headers["x-scenario"];
    if (req.method === "POST" && typeof submitScenario === "string") {
      const [scenario, cut, k] = submitScenario.split("~");
      const s = around(Number(cut), Number(k));
      const job = `${base()}${jobPath("ok")}`;
      if (scenario === "submit-url") {
        const evil = around(Number(cut), Number(k), "https://evil.example/");
        return sendJson(res, 200, { request_id: "sub-1", status_url: evil, response_url: job, cancel_url: `${job}/cancel` });
      }
      return sendJson(res, 200, { request_id: s, status_url: `${job}/status`, response_url: job, cancel_url: `${job}/cancel` });
    }
    const fragment = /\/requests\/f~(\d+)~(head|tail|middle)/.exec(url.pathname);
    if (fragment !== null) {
      const n = Number(fragment[1]);
      const piece = fragment[2] === "head" ? TOKEN.slice(0, n) : fragment[2] === "tail" ? TOKEN.slice(-n) : TOKEN.slice(3, 3 + n);
      return sendJson(res, 400, { detail: `the key ${piece}… is not valid` }, { "x-fal-request-id": `id-${piece}` });
    }
    const parsed = parse(url.pathname);
    if (parsed === undefined) return sendJson(res, 404, { detail: "no scenario" });
    const { scenario, cut, k } = parsed;
    const s = around(cut, k);
    switch (scenario) {
      case "detail":
        return sendJson(res, 400, { detail: s });
      case "text-body":
        return void res.writeHead(502, { "content-type": "text/html" }).end(s);
      case "not-json":
        return void res.writeHead(200, { "content-type": "application/json" }).end(s);
      case "header-request-id":
        return sendJson(res, 404, {}, { "x-fal-request-id": s });
      case "header-error-type":
        return sendJson(res, 400, {}, { "x-fal-error-type": s });
      case "body-error-type":
        return sendJson(res, 400, { detail: "no", error_type: s });
      case "issue-msg":
        return sendJson(res, 422, { detail: [{ loc: ["body", "prompt"], msg: s, type: "value_error" }] });
      case "issue-loc":
        return sendJson(res, 422, { detail: [{ loc: ["body", s], msg: "bad", type: "value_error" }] });
      case "issue-type":
        return sendJson(res, 422, { detail: [{ loc: ["body", "prompt"], msg: "bad", type: s }] });
      case "status-value":
        return sendJson(res, 200, { status: s });
      case "job-error":
        if (url.pathname.endsWith("/status")) return sendJson(res, 200, { status: "COMPLETED", error: s, error_type: "runner_error" });
        return sendJson(res, 500, { detail: s }, { "x-fal-retryable": "false" });
      case "location":
        return void res.writeHead(302, { location: around(cut, k, "http://127.0.0.1:9/") }).end();
      case "stream-data":
        return void res.writeHead(200, { "content-type": "text/event-stream" }).end(`data: ${s}\n\n`);
      case "content-type":
        return void res.writeHead(200, { "content-type": s }).end("");
      default:
        return sendJson(res, 404, { detail: "unknown scenario" });
    }
  };
}

async function provoke(client: QueueClient, scenario: Scenario, cut: number, k: number): Promise<unknown> {
  const job = { endpoint: fluxLora, requestId: `e~${scenario}~${cut}~${k}` };
  switch (scenario) {
    case "stream-data":
    case "content-type":
      for await (const _ of client.streamStatus(job)) {
        // consumed until it fails
      }
      return undefined;
    case "job-error":
      return client.subscribe(job);
    case "submit-url":
    case "submit-request-id":
      return client.submit(fluxLora, { prompt: "x" }, { headers: { "x-scenario": `${scenario}~${cut}~${k}` } });
    default:
      return client.status(job);
  }
}

describe("hostile: the token echoed at every offset of every cut", () => {
  let cases = 0;
  watchSuite("echo", () => `${cases} cases, leaked token characters ${tally.leakedCharacters}`);
  const server = suiteServer(handler(() => server.url));

  const client = (scenario: Scenario, cut: number, k: number) =>
    createQueueClient({
      provider: { baseUrl: server.url, auth: "bearer" },
      token: TOKEN,
      retry: false,
      polling: { initialIntervalMs: 1, maxIntervalMs: 1 },
      ...(scenario === "transport-message"
        ? {
            fetch: () => Promise.reject(new TypeError(around(cut, k))),
          }
        : {}),
    });

  it.each(Object.keys(SCENARIOS) as Scenario[])("%s", async (scenario) => {
    const base = SCENARIOS[scenario];
    // The cut itself, and the edge of the window redacted before cutting (a token's length past it).
    for (const cut of [base, base + TOKEN.length + 1]) {
      for (let k = -2; k <= TOKEN.length + 2; k++) {
        cases++;
        tally.cases++;
        const error = await provoke(client(scenario, cut, k), scenario, cut, k).then(
          () => undefined,
          (e: unknown) => e,
        );
        const where = `${scenario} cut ${cut} offset ${k}`;
        expect(error, where).toBeInstanceOf(FluxkitError);
        expect(leaksOf(error), `${where}: ${String(error)}`).toBe(0);
      }
    }
  });

  it("server-side fragments of 6 or more characters (its own cut, or the token's tail) are redacted too", async () => {
    const c = client("detail", 0, 0);
    for (let n = 6; n < TOKEN.length - 3; n++) {
      for (const kind of ["head", "tail", "middle"]) {
        cases++;
        tally.cases++;
        const error = await c
          .status({ endpoint: fluxLora, requestId: `f~${n}~${kind}` })
          .then(() => undefined)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FluxkitError);
        expect(leaksOf(error), `${kind} ${n}: ${String(error)}`).toBe(0);
      }
    }
  });
});
