import { createParser } from "eventsource-parser";
import { raceSignal } from "./body.js";
import { abortError } from "./clock.js";
import { ConnectionError, ProtocolError } from "./errors.js";
import { redactAndClip, redactValue, sanitizeCause, type Redactor } from "./redact.js";
import { parseStatus, type QueueStatus, type Show } from "./status.js";

export interface StreamReadOptions {
  /** Largest line or event (characters) the parser may buffer; a longer one ends the stream. */
  readonly maxEventBytes: number;
  /** Applied to every string the stream carries, before it is parsed or shown. */
  readonly redact: Redactor;
  readonly show: Show;
}

/**
 * Turns a `text/event-stream` status response into statuses; ends after COMPLETED.
 * A stream that ends or breaks earlier throws ConnectionError, so callers can fall back to polling.
 */
export async function* readStatusStream(
  response: Response,
  requestId: string,
  signal: AbortSignal | undefined,
  options: StreamReadOptions,
): AsyncGenerator<QueueStatus, void, undefined> {
  if (response.body === null) {
    throw new ConnectionError("The status stream has no body.", { requestId, retryable: true });
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const pending: QueueStatus[] = [];
  let parseFailure: ProtocolError | undefined;
  const parser = createParser({
    // A line that never ends (or an event that never closes) must not grow memory without limit.
    maxBufferSize: options.maxEventBytes,
    onError(error) {
      if (error.type === "max-buffer-size-exceeded") {
        parseFailure ??= new ProtocolError(
          `The status stream sent a line or event longer than ${options.maxEventBytes} characters; it was dropped (raise maxStreamEventBytes if this is expected).`,
          { requestId, retryable: true },
        );
      }
    },
    onEvent(event) {
      if (event.data.trim() === "" || parseFailure !== undefined) return;
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        parseFailure = new ProtocolError(`The status stream sent data that is not JSON: ${redactAndClip(event.data, 120, options.redact)}`, {
          requestId,
          retryable: true,
        });
        return;
      }
      try {
        pending.push(parseStatus(redactValue(data, options.redact), requestId, options.show));
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
        chunk = await raceSignal(reader.read(), signal);
      } catch (cause) {
        if (signal?.aborted) throw abortError(signal);
        throw new ConnectionError("The status stream broke off.", { cause: sanitizeCause(cause, options.redact), requestId, retryable: true });
      }
      if (signal?.aborted) throw abortError(signal);
      try {
        if (chunk.done) {
          // An event is only complete at its blank line: one cut off by the end of the stream is
          // dropped (as the SSE standard says), so a stream that breaks mid-event is a broken
          // connection, not malformed data.
          parser.feed(decoder.decode());
        } else {
          parser.feed(decoder.decode(chunk.value, { stream: true }));
        }
      } catch {
        // The parser refuses input once it has reported an oversized buffer.
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
