import { createParser } from "eventsource-parser";
import { abortError } from "./clock.js";
import { ConnectionError, ProtocolError } from "./errors.js";
import { parseStatus, type QueueStatus } from "./status.js";

/**
 * Turns a `text/event-stream` status response into statuses; ends after COMPLETED.
 * A stream that ends or breaks earlier throws ConnectionError, so callers can fall back to polling.
 */
export async function* readStatusStream(response: Response, requestId: string, signal: AbortSignal | undefined): AsyncGenerator<QueueStatus, void, undefined> {
  if (response.body === null) {
    throw new ConnectionError("The status stream has no body.", { requestId, retryable: true });
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const pending: QueueStatus[] = [];
  let parseFailure: ProtocolError | undefined;
  const parser = createParser({
    onEvent(event) {
      if (event.data.trim() === "" || parseFailure !== undefined) return;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        parseFailure = new ProtocolError(`The status stream sent data that is not JSON: ${event.data.slice(0, 120)}`, { requestId });
        return;
      }
      try {
        pending.push(parseStatus(data, requestId));
      } catch (error) {
        parseFailure = error as ProtocolError;
      }
    },
  });
  // Injected fetches may ignore the signal; cancelling the reader makes any body stop.
  const onAbort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (cause) {
        if (signal?.aborted) throw abortError(signal);
        throw new ConnectionError("The status stream broke off.", { cause, requestId, retryable: true });
      }
      if (signal?.aborted) throw abortError(signal);
      if (chunk.done) {
        // An event is only complete at its blank line: one cut off by the end of the stream is
        // dropped (as the SSE standard says), so a stream that breaks mid-event is a broken
        // connection, not malformed data.
        parser.feed(decoder.decode());
      } else {
        parser.feed(decoder.decode(chunk.value, { stream: true }));
      }
      while (pending.length > 0) {
        const status = pending.shift() as QueueStatus;
        yield status;
        if (status.status === "COMPLETED") return;
      }
      if (parseFailure !== undefined) throw parseFailure;
      if (chunk.done) {
        throw new ConnectionError("The status stream ended before the job completed.", { requestId, retryable: true });
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Stop the download when the consumer leaves early (COMPLETED, error, or break).
    void reader.cancel().catch(() => undefined);
  }
}
