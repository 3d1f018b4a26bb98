/**
 * A submit whose outcome the client cannot know must say so: `jobMayExist: true`, the request id
 * whenever the wire carried one, and what to do before submitting again. A clear refusal must
 * say the opposite. Nothing here is ever submitted twice.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import {
  AbortError,
  ConnectionError,
  createQueueClient,
  type FluxkitError,
  ForeignUrlError,
  ProtocolError,
  RateLimitError,
  ServerError,
  ValidationError,
} from "../../src/index.js";
import { fluxLora } from "../fixtures/endpoints.js";
import { jobPath, leaksOf, sendJson, startServer, tally, TOKEN, suiteServer, watchSuite } from "./harness.js";

type Case = {
  readonly prompt: string;
  readonly answer: (req: IncomingMessage, res: ServerResponse, base: string) => void;
  readonly error: abstract new (...args: never[]) => FluxkitError;
  readonly jobMayExist: boolean;
  readonly requestId?: string;
  /** What the message must tell the caller to do. */
  readonly advice?: RegExp;
};

const submitted = (base: string, id: string, extra: Record<string, unknown> = {}) => {
  const job = `${base}${jobPath(id)}`;
  return { status: "IN_QUEUE", request_id: id, status_url: `${job}/status`, response_url: job, cancel_url: `${job}/cancel`, ...extra };
};

const CASES: readonly Case[] = [
  {
    prompt: "500 after the body was sent",
    answer: (_q, res) => sendJson(res, 500, { detail: "internal" }, { "x-fal-request-id": "srv-500" }),
    error: ServerError,
    jobMayExist: true,
    requestId: "srv-500",
    advice: /look it up with status\(\{ endpoint, requestId: "srv-500" \}\)/,
  },
  {
    prompt: "502 from a gateway",
    answer: (_q, res) => sendJson(res, 502, { detail: "bad gateway" }),
    error: ServerError,
    jobMayExist: true,
    advice: /request log/,
  },
  {
    prompt: "200 that is not JSON",
    answer: (_q, res) => void res.writeHead(200, { "x-fal-request-id": "srv-html" }).end("<html>queued</html>"),
    error: ProtocolError,
    jobMayExist: true,
    requestId: "srv-html",
  },
  { prompt: "200 without a request_id", answer: (_q, res) => sendJson(res, 200, { status: "IN_QUEUE" }), error: ProtocolError, jobMayExist: true },
  {
    prompt: "answer with a foreign cancel_url",
    answer: (_q, res, base) => sendJson(res, 200, submitted(base, "job-77", { cancel_url: `https://evil.example/cancel?k=${TOKEN}` })),
    error: ForeignUrlError,
    jobMayExist: true,
    requestId: "job-77",
    advice: /subscribe\(\{ endpoint, requestId: "job-77" \}\)/,
  },
  {
    prompt: "answer with an unknown status",
    answer: (_q, res, base) => sendJson(res, 200, submitted(base, "job-78", { status: "TELEPORTED" })),
    error: ProtocolError,
    jobMayExist: true,
    requestId: "job-78",
  },
  { prompt: "reset after the body was read", answer: (req) => req.socket.destroy(), error: ConnectionError, jobMayExist: true },
  // Clear refusals: no job.
  {
    prompt: "422 refused input",
    answer: (_q, res) => sendJson(res, 422, { detail: [{ loc: ["body", "prompt"], msg: "bad", type: "value_error" }] }),
    error: ValidationError,
    jobMayExist: false,
  },
  {
    prompt: "429 with Retry-After",
    answer: (_q, res) => sendJson(res, 429, { detail: "slow down" }, { "retry-after": "0" }),
    error: RateLimitError,
    jobMayExist: false,
  },
];

describe("hostile: ambiguous submits", () => {
  watchSuite("submits");
  const server = suiteServer((req, res, body) => {
    const prompt = (JSON.parse(body || "{}") as { prompt?: string }).prompt ?? "";
    if (prompt === "hang") return; // aborted by the caller
    const found = CASES.find((c) => c.prompt === prompt);
    if (found === undefined) return sendJson(res, 404, { detail: "unknown" });
    found.answer(req, res, server.url);
  });

  const client = () =>
    createQueueClient({ provider: { baseUrl: server.url, auth: "bearer" }, token: TOKEN, retry: { baseDelayMs: 1, maxDelayMs: 2, maxRetries: 2 } });

  it.each(CASES)("$prompt → jobMayExist: $jobMayExist", async (c) => {
    tally.cases++;
    const before = server.hits.length;
    const error = await client()
      .submit(fluxLora, { prompt: c.prompt })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(c.error);
    const e = error as FluxkitError;
    expect(e.jobMayExist).toBe(c.jobMayExist);
    if (c.requestId !== undefined) expect(e.requestId).toBe(c.requestId);
    if (c.jobMayExist) expect(e.message).toMatch(/may have been created|The job exists/);
    if (c.advice !== undefined) expect(e.message).toMatch(c.advice);
    expect(leaksOf(error)).toBe(0);
    // Only a refusal that invites it is sent again; anything that may have created a job never is.
    expect(server.hits.length - before).toBe(c.prompt.startsWith("429") ? 3 : 1);
  });

  it("aborted by the caller after it was sent → AbortError with jobMayExist", async () => {
    tally.cases++;
    const controller = new AbortController();
    const pending = client()
      .submit(fluxLora, { prompt: "hang" }, { signal: controller.signal })
      .catch((e: unknown) => e);
    for (let i = 0; i < 500 && !server.hits.some((h) => h.body.includes('"hang"')); i++) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ jobMayExist: true });
  });

  it("refused before a connection was made → retried, and no job can exist", async () => {
    tally.cases++;
    const closed = await startServer(() => {});
    const url = closed.url;
    await closed.close();
    const error = await createQueueClient({ provider: { baseUrl: url, auth: "bearer" }, token: TOKEN, retry: { baseDelayMs: 1, maxDelayMs: 2 } })
      .submit(fluxLora, { prompt: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ jobMayExist: false });
  });
});
