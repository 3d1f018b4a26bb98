/**
 * What comes back from the upstream, made safe for a browser: only an allowlist of headers, job
 * ids and URLs replaced by the proxy's own, the token redacted wherever it might be echoed, and
 * nothing served but JSON or a status event stream.
 */
import { createParser } from "eventsource-parser";
import { jsonResponse, SAFE_RESPONSE_HEADERS } from "./refusal.js";

/**
 * The upstream headers a caller may see. Everything else is dropped: hop-by-hop headers,
 * cookies, authentication challenges, and whatever a provider adds.
 */
const FORWARDED_RESPONSE_HEADERS = ["retry-after", "x-fal-retryable", "x-fal-needs-retry", "x-fal-error-type", "x-fal-request-timeout-type"] as const;

/** A job as the caller knows it: its signed id and the proxy URLs of its routes. */
export interface CallerJob {
  readonly id: string;
  /** `{proxy origin}{base path}/{app}/requests/{id}` */
  readonly base: string;
}

export type Redact = (text: string) => string;

export function forwardedHeaders(upstream: Response, job: CallerJob | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  if (job !== undefined) headers["x-fal-request-id"] = job.id;
  return headers;
}

/** A queue JSON value with the upstream id and URLs replaced by the caller's. */
export function rewriteJob(value: unknown, upstreamId: string | undefined, job: CallerJob | undefined): unknown {
  if (job === undefined || value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const record = { ...(value as Record<string, unknown>) };
  if (typeof record.request_id === "string" && record.request_id === upstreamId) record.request_id = job.id;
  if ("response_url" in record) record.response_url = job.base;
  if ("status_url" in record) record.status_url = `${job.base}/status`;
  if ("cancel_url" in record) record.cancel_url = `${job.base}/cancel`;
  return record;
}

/** Any upstream answer that is not a stream, as JSON. A body that is not JSON is wrapped (never served as HTML). */
export async function relayJson(
  upstream: Response,
  options: { readonly redact: Redact; readonly upstreamId: string | undefined; readonly job: CallerJob | undefined },
): Promise<Response | "not-json"> {
  const text = options.redact(await upstream.text());
  const headers = forwardedHeaders(upstream, options.job);
  let parsed: unknown;
  try {
    parsed = text.trim() === "" ? null : JSON.parse(text);
  } catch {
    if (upstream.ok) return "not-json";
    return jsonResponse(upstream.status, { detail: text.slice(0, 500) }, headers);
  }
  return jsonResponse(upstream.status, rewriteJob(parsed, options.upstreamId, options.job), headers);
}

/**
 * The status stream, event by event as it arrives (nothing is buffered beyond one event):
 * each `data:` JSON gets the caller's id and URLs, comments (keep-alives) pass as they are.
 */
export function relayEventStream(upstream: Response, options: { readonly redact: Redact; readonly upstreamId: string; readonly job: CallerJob }): Response {
  const body = upstream.body;
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending: string[] = [];
  const parser = createParser({
    onEvent(event) {
      let data = event.data;
      try {
        data = JSON.stringify(rewriteJob(JSON.parse(data), options.upstreamId, options.job));
      } catch {
        // Not JSON: passed on as it is (redacted below); the client decides what it means.
      }
      const lines = options.redact(data).split(/\r\n|\r|\n/);
      pending.push(
        `${event.event === undefined ? "" : `event: ${event.event}\n`}${event.id === undefined ? "" : `id: ${event.id}\n`}${lines.map((l) => `data: ${l}\n`).join("")}\n`,
      );
    },
    onComment(comment) {
      pending.push(`: ${options.redact(comment)}\n\n`);
    },
    onRetry(ms) {
      pending.push(`retry: ${ms}\n\n`);
    },
  });
  const emit = (controller: TransformStreamDefaultController<Uint8Array>) => {
    if (pending.length > 0) controller.enqueue(encoder.encode(pending.join("")));
    pending = [];
  };
  const transformed =
    body === null
      ? null
      : body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              parser.feed(decoder.decode(chunk, { stream: true }));
              emit(controller);
            },
            flush(controller) {
              parser.feed(decoder.decode());
              emit(controller);
            },
          }),
        );
  return new Response(transformed, {
    status: upstream.status,
    headers: {
      ...SAFE_RESPONSE_HEADERS,
      "cache-control": "no-cache, no-store",
      "content-type": "text/event-stream",
      // Reverse proxies (nginx) would otherwise hold the events back.
      "x-accel-buffering": "no",
      ...forwardedHeaders(upstream, options.job),
    },
  });
}
