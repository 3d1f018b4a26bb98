/**
 * The example page in a real headless Chromium (Debian's, driven by playwright-core; no browser
 * is downloaded): generate an image and check its pixel size, cancel a second job and see it
 * confirmed, and prove that no request the page made, and nothing it loaded, carried the token.
 * A machine where Chromium cannot start fails here with a message saying so; never skipped.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { IMAGE_SIZE_PRESETS } from "@fluxkit/emulator";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExampleServer, startExampleServer } from "../src/server/example-server.js";

const TOKEN = `browser-test-token-${Date.now().toString(36)}-5f2c8e1a9b7d`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
/** Not square, so a width/height swap shows. */
const SIZE = "portrait_4_3";

interface Recorded {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

let server: ExampleServer;
let context: BrowserContext;
let page: Page;
let profile: string;
const requests: Recorded[] = [];
/** Same-origin answers the page loaded: the HTML, its bundle and chunks, the proxy's JSON. */
const loaded = new Map<string, string>();
const pending: Promise<void>[] = [];

beforeAll(async () => {
  // Manual latency: a job stays IN_PROGRESS until the test finishes it, so cancel is never a race.
  server = await startExampleServer({ latency: "manual", concurrency: 1, token: TOKEN });
  profile = await mkdtemp(join(tmpdir(), "fluxkit-chromium-"));
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (error) {
    throw new Error(
      `Chromium could not start from ${CHROMIUM}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n` +
        "Install Debian's chromium (apt-get install -y --no-install-recommends chromium; .ci/run does this in CI) or point CHROMIUM_PATH at a Chromium binary. This test is never skipped.",
    );
  }
  // Generous: CI is a busy 2-core machine. Each wait ends as soon as the page gets there.
  context.setDefaultTimeout(60_000);
  context.on("request", (request) => {
    pending.push(
      request.allHeaders().then((headers) => {
        requests.push({ url: request.url(), method: request.method(), headers, body: request.postData() ?? "" });
      }),
    );
  });
  context.on("response", (response) => {
    if (!response.url().startsWith(server.url) || response.url().includes("/status/stream")) return;
    pending.push(
      response.text().then(
        (text) => void loaded.set(`${response.request().method()} ${response.url()}`, text),
        () => undefined,
      ),
    );
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.url}/`);
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile !== undefined) await rm(profile, { recursive: true, force: true });
});

describe("the example page in Chromium", () => {
  it("generates an image of the chosen size, with progress from onQueueUpdate", async () => {
    await page.fill("#prompt", "A lighthouse on a cliff at dawn, film photo");
    await page.selectOption("#image-size", SIZE);
    await page.click("#generate-button");
    await page.locator("#history li", { hasText: "Generating…" }).waitFor();
    await page.locator("#log li", { hasText: "Starting inference" }).waitFor();
    expect(await page.locator("#history li").allTextContents()).toEqual(expect.arrayContaining(["Submitting…", "In queue, position 0", "Generating…"]));
    expect(server.emulator.finish()).toBe(1);

    await page.locator("#status", { hasText: "Done" }).waitFor();
    const natural = await page.$eval("#result", (img) => ({ width: (img as HTMLImageElement).naturalWidth, height: (img as HTMLImageElement).naturalHeight }));
    expect(natural).toEqual(IMAGE_SIZE_PRESETS[SIZE]);
    expect(await page.textContent("#status")).toBe(`Done: ${natural.width}×${natural.height}`);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "web-example.png"), fullPage: true });
  });

  it("cancels a second job on the server and shows the cancel confirmed", async () => {
    await page.fill("#prompt", "A second job, cancelled");
    await page.click("#generate-button");
    await page.locator("#history li", { hasText: "Generating…" }).waitFor();
    // The job's id is read from the cancel request's URL, not from a response body: under load
    // Chromium may already have dropped a body the page consumed. Registered before the click.
    const cancelled = page.waitForRequest((r) => r.method() === "PUT" && r.url().startsWith(`${server.url}/api/fal/`) && r.url().endsWith("/cancel"));
    await page.click("#cancel-button");
    const job = upstreamId(decodeURIComponent(/\/requests\/([^/]+)\/cancel$/.exec(new URL((await cancelled).url()).pathname)?.[1] ?? ""));
    await page.locator("#cancel-state", { hasText: "Cancel confirmed (CANCELLATION_REQUESTED)." }).waitFor();
    await page.locator("#status", { hasText: "Cancelled." }).waitFor();
    expect(server.emulator.job(job)).toMatchObject({ state: "COMPLETED", cancelled: true });
    await page.screenshot({ path: join(ARTIFACTS, "web-example-cancelled.png"), fullPage: true });
  });

  it("never sent the token from the page, nor shipped it in the page or its bundle", async () => {
    await Promise.all(pending);
    const proxyCalls = requests.filter((r) => r.url.startsWith(`${server.url}/api/fal/`));
    // Both jobs went through the proxy: submits, the status stream, the result, the cancel.
    expect(proxyCalls.map((r) => `${r.method} ${new URL(r.url).pathname.replace(/requests\/[^/]+/, "requests/{id}")}`)).toEqual(
      expect.arrayContaining([
        "POST /api/fal/fal-ai/flux-lora",
        "GET /api/fal/fal-ai/flux-lora/requests/{id}/status/stream",
        "GET /api/fal/fal-ai/flux-lora/requests/{id}",
        "PUT /api/fal/fal-ai/flux-lora/requests/{id}/cancel",
      ]),
    );
    for (const request of requests) {
      expect(`${request.method} ${request.url} ${JSON.stringify(request.headers)} ${request.body}`).not.toContain(TOKEN);
      expect(Object.keys(request.headers)).not.toContain("authorization");
    }
    // The browser never spoke to the provider's queue; only the image file came from there.
    const direct = requests.filter((r) => r.url.startsWith(server.emulator.url));
    expect(direct.length).toBeGreaterThan(0);
    for (const request of direct) expect(new URL(request.url).pathname).toMatch(/^\/files\//);

    const bundle = [...loaded].filter(([key]) => key.includes("/assets/"));
    expect(bundle.length).toBeGreaterThan(0);
    expect(bundle.map(([, text]) => text).join("")).toContain("/api/fal");
    for (const [key, text] of loaded) expect(text, key).not.toContain(TOKEN);
  });
});

/** The emulator's request id inside the proxy's signed one (`<base64url(upstream id)>.<mac>`). */
function upstreamId(signed: string): string {
  return Buffer.from(signed.split(".")[0] as string, "base64url").toString("utf8");
}
