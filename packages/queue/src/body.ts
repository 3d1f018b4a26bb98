/**
 * Reading what a server sends without trusting it: a size cap on every body, and a wait that
 * ends when the signal fires even if an injected fetch (or its body) ignores the signal.
 */

const noop = () => {};

/** A body over its cap; mapped to a typed error by the caller, which knows the operation. */
export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
  }
}

/**
 * `promise`, or a rejection with the signal's reason as soon as it fires. A value that arrives
 * after the abort goes to `onLate` (e.g. to release a response body); a late rejection is
 * swallowed, so nothing surfaces as an unhandled rejection.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, onLate: (value: T) => void = noop): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.then(onLate, noop);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      promise.then(onLate, noop);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Drops a response body nobody will read, so its connection can be reused or closed. */
export function discardBody(response: Response): void {
  if (response.bodyUsed) return;
  try {
    void response.body?.cancel().catch(noop);
  } catch {
    // A body already locked by someone else: nothing to release here.
  }
}

export interface ReadTextOptions {
  readonly maxBytes: number;
  readonly signal?: AbortSignal | undefined;
  /** Stop quietly at the cap (error bodies: a prefix is enough) instead of throwing BodyTooLargeError. */
  readonly truncate?: boolean;
}

/** The body as UTF-8 text, at most `maxBytes` of it. */
export async function readText(response: Response, options: ReadTextOptions): Promise<{ text: string; truncated: boolean }> {
  const { maxBytes, signal } = options;
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (!options.truncate && Number.isFinite(declared) && declared > maxBytes) {
    discardBody(response);
    throw new BodyTooLargeError(maxBytes);
  }
  if (response.body === null) return { text: "", truncated: false };
  // A declared length within the cap: one read (the HTTP layer ends a body at its declared length).
  if (Number.isFinite(declared) && declared <= maxBytes) {
    return { text: await raceSignal(response.text(), signal), truncated: false };
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let total = 0;
  const cancel = () => void reader.cancel().catch(noop);
  try {
    for (;;) {
      const chunk = await raceSignal(reader.read(), signal);
      if (chunk.done) return { text: text + decoder.decode(), truncated: false };
      const room = maxBytes - total;
      total += chunk.value.byteLength;
      if (total > maxBytes) {
        cancel();
        if (!options.truncate) throw new BodyTooLargeError(maxBytes);
        return { text: text + decoder.decode(chunk.value.subarray(0, Math.max(0, room))), truncated: true };
      }
      text += decoder.decode(chunk.value, { stream: true });
    }
  } catch (error) {
    cancel();
    throw error;
  }
}
