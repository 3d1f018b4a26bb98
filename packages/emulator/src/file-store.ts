/** Files the emulator serves at /files/<name>: generated images, named by their content hash. */
import { createHash } from "node:crypto";

export interface StoredFile {
  readonly bytes: Buffer;
  readonly contentType: string;
}

export class FileStore {
  readonly #files = new Map<string, StoredFile>();

  /** Stores the bytes and returns the file name, e.g. `3f2a….png`; equal bytes share a name. */
  put(bytes: Buffer, extension: string, contentType: string): string {
    const name = `${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}.${extension}`;
    if (!this.#files.has(name)) this.#files.set(name, { bytes, contentType });
    return name;
  }

  get(name: string): StoredFile | undefined {
    return this.#files.get(name);
  }

  get size(): number {
    return this.#files.size;
  }
}
