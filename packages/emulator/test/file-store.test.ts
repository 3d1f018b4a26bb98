import { describe, expect, it } from "vitest";
import { FileStore } from "../src/file-store.js";

describe("FileStore", () => {
  it("encodes a lazy file on its first download only, and equal recipes share a name", () => {
    const store = new FileStore();
    let produced = 0;
    const produce = () => {
      produced++;
      return Buffer.from("jpeg bytes");
    };
    const name = store.putLazy('{"seed":1}', "jpg", "image/jpeg", produce);
    expect(store.putLazy('{"seed":1}', "jpg", "image/jpeg", produce)).toBe(name);
    expect(store.putLazy('{"seed":2}', "jpg", "image/jpeg", produce)).not.toBe(name);
    expect(produced).toBe(0);
    expect(store.get(name)).toEqual({ bytes: Buffer.from("jpeg bytes"), contentType: "image/jpeg" });
    expect(store.get(name)?.bytes.toString()).toBe("jpeg bytes");
    expect(produced).toBe(1);
    expect(store.get("missing.jpg")).toBeUndefined();
  });
});
