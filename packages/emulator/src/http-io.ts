/** Small helpers over node:http: bounded body reading and JSON replies. */
import type { IncomingMessage, ServerResponse } from "node:http";

/** A reply the router writes, after faults have had their say. */
export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export class BodyTooLargeError extends Error {
  override readonly name = "BodyTooLargeError";
}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new BodyTooLargeError(`Request body exceeds ${limitBytes} bytes.`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function writeJson(res: ServerResponse, reply: JsonReply, malformed = false): void {
  let text = JSON.stringify(reply.body);
  // Cut the document mid-way: valid prefix, invalid whole — what a truncating proxy produces.
  if (malformed) text = `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))}\u0000<truncated`;
  res.writeHead(reply.status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...reply.headers,
  });
  res.end(text);
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
