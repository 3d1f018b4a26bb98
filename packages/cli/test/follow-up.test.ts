import { join } from "node:path";
import { createEmulator, type Emulator } from "@fluxkit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, flux, magic, tempDir, waitFor } from "./helpers.js";

assertBuilt();

describe("flux status | result | cancel", () => {
  let emulator: Emulator;
  let cwd: string;
  beforeAll(async () => {
    emulator = await createEmulator({ provider: "chainhub", latency: "manual" });
    cwd = await tempDir();
  });
  afterAll(() => emulator.close());

  // Setup only: a job submitted straight to the emulator, as another process would have.
  async function submit(prompt: string): Promise<string> {
    const response = await fetch(`${emulator.url}/fal-ai/flux-lora`, {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify({ prompt }),
    });
    const body = (await response.json()) as { request_id: string };
    await waitFor("the job to start", () => emulator.job(body.request_id)?.state === "IN_PROGRESS");
    return body.request_id;
  }
  const cmd = (args: string[]) => flux([...args, "--endpoint", "flux-lora", "--provider", "chainhub", "--base-url", emulator.url], { cwd });

  it("status, then result of a finished job, then cancel says ALREADY_COMPLETED", async () => {
    const id = await submit("a followed fox");
    const status = await cmd(["status", id, "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ request_id: id, status: "IN_PROGRESS" });

    emulator.finish(id);
    const done = await cmd(["status", id]);
    expect(done.stdout).toBe(`${id}: COMPLETED\n`);

    const result = await cmd(["result", id, "--out", join(cwd, "r"), "--json"]);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.request_id).toBe(id);
    expect(await magic(doc.files[0])).toBe("jpeg");

    const cancel = await cmd(["cancel", id]);
    expect(cancel).toMatchObject({ code: 0, stdout: `${id}: ALREADY_COMPLETED\n` });
  });

  it("cancel stops a running job", async () => {
    const id = await submit("a cancelled fox");
    const cancel = await cmd(["cancel", id, "--json"]);
    expect(JSON.parse(cancel.stdout)).toEqual({ request_id: id, status: "CANCELLATION_REQUESTED" });
    expect(emulator.job(id)?.cancelled).toBe(true);
    const result = await cmd(["result", id]);
    expect(result.code).toBe(4);
  });

  it("an unknown id or a missing --endpoint is a usage error", async () => {
    expect((await cmd(["status", "no-such-id"])).code).toBe(2);
    const missing = await flux(["status", "abc", "--base-url", emulator.url], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("which endpoint?");
  });
});
