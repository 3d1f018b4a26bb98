/**
 * Test helpers: an observed fetch (records every call, answers from per-route scripts, honours
 * AbortSignal like a real fetch) and a virtual clock (sleeps advance time instantly). No globals.
 */
import { abortError, type Clock } from "../src/clock.js";
import { createQueueClient, type QueueClientOptions } from "../src/index.js";
import type { FetchLike } from "../src/http.js";

export const TOKEN = "sk-secret-token-0123456789";

export interface RecordedCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** Produces one answer; a factory because a Response body can be read only once. */
export type Responder = (call: RecordedCall, signal: AbortSignal | undefined) => Response | Promise<Response>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Responder {
  return () => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Responder {
  return () => new Response(body, { status, headers });
}

/** A transport failure; `code` mimics undici's cause codes (ECONNREFUSED, ECONNRESET, …). */
export function transportError(code: string): Responder {
  return () => {
    throw new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code}`), { code }) });
  };
}

/** Never answers; only the signal ends it. */
export function hang(): Responder {
  return () => new Promise<Response>(() => {});
}

/** An SSE response from a list of status objects; `end: false` leaves the stream open forever. */
export function sse(events: readonly unknown[], options: { end?: boolean; breakWith?: Error } = {}): Responder {
  return () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const event of events) controller.enqueue(encoder.encode(`data: ${JSON.stringify(event)}\n\n`));
        if (options.breakWith !== undefined) controller.error(options.breakWith);
        else if (options.end !== false) controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
  };
}

/**
 * Routes keyed by "METHOD pathname". Each route answers from its list in order; the last
 * answer repeats. An unknown route fails the test loudly.
 */
export function observedFetch(routes: Record<string, Responder | readonly Responder[]>): {
  fetch: FetchLike;
  calls: RecordedCall[];
  callsTo: (route: string) => RecordedCall[];
} {
  const calls: RecordedCall[] = [];
  const counters = new Map<string, number>();
  const fetch: FetchLike = (url, init) => {
    const signal = init.signal ?? undefined;
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const call: RecordedCall = {
      method: init.method ?? "GET",
      url,
      headers,
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    if (signal?.aborted) return Promise.reject(new DOMException("aborted", "AbortError"));
    const key = `${call.method} ${new URL(url).pathname}`;
    const route = routes[key];
    if (route === undefined) return Promise.reject(new Error(`unexpected request: ${key}`));
    const list = Array.isArray(route) ? route : [route as Responder];
    const index = counters.get(key) ?? 0;
    counters.set(key, index + 1);
    const responder = list[Math.min(index, list.length - 1)] as Responder;
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(new DOMException("aborted", "AbortError"));
      signal?.addEventListener("abort", onAbort, { once: true });
      Promise.resolve()
        .then(() => responder(call, signal))
        .then(resolve, reject)
        .finally(() => signal?.removeEventListener("abort", onAbort));
    });
  };
  const callsTo = (route: string) => calls.filter((c) => `${c.method} ${new URL(c.url).pathname}` === route);
  return { fetch, calls, callsTo };
}

/** Time that only moves when code sleeps: deterministic backoff, polling and timeouts. */
export function virtualClock(): { clock: Clock; sleeps: number[]; now: () => number; advance: (ms: number) => void } {
  let now = 0;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const sleeps: number[] = [];
  const fireDue = () => {
    for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
      if (timer.at > now) break;
      timers.delete(id);
      timer.fn();
    }
  };
  const clock: Clock = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(abortError(signal));
        sleeps.push(ms);
        now += ms;
        fireDue();
        if (signal?.aborted) reject(abortError(signal));
        else resolve();
      }),
    setTimer: (ms, fn) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return () => timers.delete(id);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    fireDue();
  };
  return { clock, sleeps, now: () => now, advance };
}

export const APP = "fal-ai/flux-lora";
export const FAL_QUEUE = "https://queue.fal.run";
export const CHAINHUB = "https://api.chainhub.tech";

/** The body a gateway answers a submit with: follow-up URLs on queue.fal.run. */
export function submitted(requestId: string, host = FAL_QUEUE, app = APP): Record<string, unknown> {
  const base = `${host}/${app}/requests/${requestId}`;
  return {
    status: "IN_QUEUE",
    request_id: requestId,
    response_url: base,
    status_url: `${base}/status`,
    cancel_url: `${base}/cancel`,
    queue_position: 3,
    logs: null,
    metrics: {},
  };
}

export function route(method: string, requestId: string, suffix = "", app = APP): string {
  return `${method} /${app}/requests/${requestId}${suffix}`;
}

/** A chainhub client over the observed fetch and a virtual clock, jitter fixed at its midpoint. */
export function testClient(fetch: FetchLike, options: Partial<QueueClientOptions> = {}) {
  const time = virtualClock();
  const client = createQueueClient({
    provider: "chainhub",
    token: TOKEN,
    fetch,
    clock: time.clock,
    random: () => 0.5,
    ...options,
  });
  return { client, ...time };
}

/** Lets pending promise callbacks run (no timers involved). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
