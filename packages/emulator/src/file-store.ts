/**
 * Files the emulator serves at /files/<name>: generated images, named by a hash of what they
 * are made from. An image is encoded on its first download, not when its job completes, so
 * a job's completion-to-result time measures the protocol, not the image encoder (jpeg-js
 * spends ~10 ms building its tables on every call, whatever the image size).
 */
import { createHash } from "node:crypto";

export interface StoredFile {
  readonly bytes: Buffer;
  readonly contentType: string;
}

interface Entry {
  readonly contentType: string;
  bytes?: Buffer;
  produce?: () => Buffer;
}

const nameFor = (key: string | Buffer, extension: string) => `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.${extension}`;

export class FileStore {
  readonly #files = new Map<string, Entry>();

  /** Stores the bytes and returns the file name, e.g. `3f2a….png`; equal bytes share a name. */
  put(bytes: Buffer, extension: string, contentType: string): string {
    const name = nameFor(bytes, extension);
    if (!this.#files.has(name)) this.#files.set(name, { bytes, contentType });
    return name;
  }

  /**
   * Registers a file made on first request by `produce`; `recipe` must identify its bytes
   * (equal recipes share a name, so `produce` must be deterministic).
   */
  putLazy(recipe: string, extension: string, contentType: string, produce: () => Buffer): string {
    const name = nameFor(recipe, extension);
    if (!this.#files.has(name)) this.#files.set(name, { contentType, produce });
    return name;
  }

  get(name: string): StoredFile | undefined {
    const entry = this.#files.get(name);
    if (entry === undefined) return undefined;
    if (entry.bytes === undefined) {
      entry.bytes = entry.produce!();
      entry.produce = undefined;
    }
    return { bytes: entry.bytes, contentType: entry.contentType };
  }

  get size(): number {
    return this.#files.size;
  }
}
