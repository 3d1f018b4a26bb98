import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ValidationError, sniffImageType, toImageUrl } from "../src/index.js";
import { imageFileToDataUri } from "../src/node.js";

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, ...ascii("JFIF")]);
const WEBP = new Uint8Array([...ascii("RIFF"), 1, 0, 0, 0, ...ascii("WEBPVP8 ")]);
const GIF = new Uint8Array([...ascii("GIF89a"), 1, 0, 1, 0]);
const AVIF = new Uint8Array([0, 0, 0, 28, ...ascii("ftypavif"), 0, 0, 0, 0]);
const TEXT = new TextEncoder().encode("hello, this is not an image");

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

describe("sniffImageType", () => {
  it.each([
    [PNG, "image/png"],
    [JPEG, "image/jpeg"],
    [WEBP, "image/webp"],
    [GIF, "image/gif"],
    [AVIF, "image/avif"],
    [TEXT, undefined],
    [new Uint8Array([0x89, 0x50]), undefined],
  ] as const)("%#", (bytes, type) => {
    expect(sniffImageType(bytes)).toBe(type);
  });
});

describe("toImageUrl", () => {
  it("turns bytes, ArrayBuffers and Blobs into a data URI of the sniffed type", async () => {
    expect(await toImageUrl(PNG)).toBe(`data:image/png;base64,${base64(PNG)}`);
    expect(await toImageUrl(JPEG.slice().buffer)).toBe(`data:image/jpeg;base64,${base64(JPEG)}`);
    // The Blob's declared type is not trusted: the bytes decide.
    expect(await toImageUrl(new Blob([WEBP], { type: "image/png" }))).toBe(`data:image/webp;base64,${base64(WEBP)}`);
  });

  it("passes http(s) URLs and valid image data URIs through", async () => {
    await expect(toImageUrl("https://example.com/cat.png")).resolves.toBe("https://example.com/cat.png");
    const uri = `data:image/gif;base64,${base64(GIF)}`;
    await expect(toImageUrl(uri)).resolves.toBe(uri);
  });

  it("rejects bytes that are not an accepted image type", async () => {
    await expect(toImageUrl(TEXT)).rejects.toMatchObject({ issues: [{ keyword: "fileType" }] });
    await expect(toImageUrl(GIF, { allowedTypes: ["image/png", "image/jpeg"] })).rejects.toThrow(/image\/gif; accepted: image\/png, image\/jpeg/);
    await expect(toImageUrl(`data:image/png;base64,${base64(TEXT)}`)).rejects.toBeInstanceOf(ValidationError);
  });

  it("enforces the size limit on bytes, Blobs and data URIs", async () => {
    const big = new Uint8Array(2048);
    big.set(PNG);
    await expect(toImageUrl(big, { maxBytes: 1024 })).rejects.toMatchObject({ issues: [{ keyword: "maxBytes" }] });
    await expect(toImageUrl(new Blob([big]), { maxBytes: 1024 })).rejects.toMatchObject({ issues: [{ keyword: "maxBytes" }] });
    await expect(toImageUrl(`data:image/png;base64,${base64(big)}`, { maxBytes: 1024 })).rejects.toMatchObject({
      issues: [{ keyword: "maxBytes" }],
    });
    await expect(toImageUrl(big, { maxBytes: 2048 })).resolves.toMatch(/^data:image\/png;base64,/);
    await expect(toImageUrl(new Uint8Array())).rejects.toMatchObject({ issues: [{ keyword: "minBytes" }] });
  });

  it("rejects other strings, pointing to the node helper for paths", async () => {
    await expect(toImageUrl("./cat.png")).rejects.toThrow(/@fluxkit\/queue\/node/);
    await expect(toImageUrl("ftp://example.com/cat.png")).rejects.toBeInstanceOf(ValidationError);
    await expect(toImageUrl("data:image/png,rawtext")).rejects.toThrow(/base64/);
  });
});

describe("imageFileToDataUri (node entry)", () => {
  const dir = mkdtemp(join(tmpdir(), "fluxkit-queue-"));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it("reads an image file into a data URI", async () => {
    const path = join(await dir, "a.png");
    await writeFile(path, PNG);
    await expect(imageFileToDataUri(path)).resolves.toBe(`data:image/png;base64,${base64(PNG)}`);
  });

  it("refuses a file over the limit, a non-image, and a directory", async () => {
    const big = join(await dir, "big.png");
    await writeFile(big, new Uint8Array(4096));
    await expect(imageFileToDataUri(big, { maxBytes: 1000 })).rejects.toMatchObject({ issues: [{ keyword: "maxBytes" }] });
    const notImage = join(await dir, "a.txt");
    await writeFile(notImage, TEXT);
    await expect(imageFileToDataUri(notImage)).rejects.toMatchObject({ issues: [{ keyword: "fileType" }] });
    await expect(imageFileToDataUri(await dir)).rejects.toBeInstanceOf(ValidationError);
  });
});
