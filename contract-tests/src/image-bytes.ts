/**
 * Images as bytes, checked without trusting the server: the type from the magic bytes and the
 * size from the header (PNG IHDR, JPEG SOF). Plus a tiny PNG encoder, so image-to-image inputs
 * can be small data URIs built here rather than fixtures.
 */
import { crc32, deflateSync } from "node:zlib";

export interface DecodedImageHeader {
  readonly type: "png" | "jpeg";
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The image type and size from the bytes themselves; undefined when they are neither PNG nor JPEG. */
export function readImageHeader(bytes: Uint8Array): DecodedImageHeader | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    // The first chunk must be IHDR: width and height as big-endian u32.
    if (String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR") return undefined;
    return { type: "png", width: view.getUint32(16), height: view.getUint32(20) };
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    let offset = 2;
    while (offset + 9 < bytes.length) {
      if (bytes[offset] !== 0xff) return undefined;
      const marker = bytes[offset + 1] ?? 0;
      const length = view.getUint16(offset + 2);
      // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { type: "jpeg", height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
      }
      offset += 2 + length;
    }
  }
  return undefined;
}

/** The bytes behind an image URL of a result: a data URI, or a URL fetched over loopback. */
export async function imageBytes(url: string): Promise<{ bytes: Uint8Array; contentType: string }> {
  const dataUri = /^data:([^;,]+)(;base64)?,(.*)$/s.exec(url);
  if (dataUri !== null) {
    const [, contentType = "", base64, payload = ""] = dataUri;
    const bytes = base64 === undefined ? new TextEncoder().encode(decodeURIComponent(payload)) : Buffer.from(payload, "base64");
    return { bytes: new Uint8Array(bytes), contentType };
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}.`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), contentType: response.headers.get("content-type") ?? "" };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A small RGB gradient PNG, as a data URI an image-to-image endpoint can read. */
export function gradientPngDataUri(width: number, height: number): string {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3); // filter byte 0, then RGB
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = (x * 255) / Math.max(1, width - 1);
      row[2 + x * 3] = (y * 255) / Math.max(1, height - 1);
      row[3 + x * 3] = 128;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method, no interlace
  const png = Buffer.concat([
    Buffer.from(PNG_SIGNATURE),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
  return `data:image/png;base64,${png.toString("base64")}`;
}
