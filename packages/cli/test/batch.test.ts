import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createEmulator, type Emulator } from "@fluxkit/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, type Exit, flux, journalRecords, magic, type Running, startFlux, tempDir, waitFor } from "./helpers.js";

assertBuilt();

/** Waits for a flux process to exit, finishing the emulator's manual jobs as they come. */
async function exitFinishingJobs(emulator: Emulator, running: Running, what: string): Promise<Exit> {
  let exited = false;
  void running.exited.then(() => {
    exited = true;
  });
  await waitFor(what, () => {
    emulator.finish();
    return exited;
  });
  return running.exited;
}

interface Report {
  summary: Record<string, number>;
  lines: Array<{ line: number; status: string; request_id?: string; files?: string[]; note?: string; error?: string }>;
}

describe("flux batch", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ provider: "fal", latency: "manual", concurrency: 8 });
  });
  afterAll(() => emulator.close());

  it("reports bad JSONL lines by number and submits nothing", async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, "bad.jsonl"), '{"prompt": "ok"}\n{"prompt": "broken"\n\n[1, 2]\n{"num_images": 2}\n');
    emulator.resetStats();
    const result = await flux(["batch", "bad.jsonl", "--endpoint", "flux-lora", "--base-url", emulator.url], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("3 bad lines; nothing was submitted");
    expect(result.stderr).toMatch(/line 2: not valid JSON/);
    expect(result.stderr).toMatch(/line 4: expected an input object/);
    expect(result.stderr).toMatch(/line 5: prompt: is required/);
    expect(emulator.stats().requests.submit).toBe(0);
    expect(existsSync(join(cwd, "out", "batch-journal.jsonl"))).toBe(false);

    // --skip-invalid runs the good line and still reports the bad ones (exit 2: not every line ran).
    const skipping = startFlux(["batch", "bad.jsonl", "--endpoint", "flux-lora", "--base-url", emulator.url, "--skip-invalid"], { cwd });
    const exit = await exitFinishingJobs(emulator, skipping, "the batch to finish");
    expect(exit.code).toBe(2);
    expect(exit.stdout).toMatch(/line 1 +done/);
    expect(exit.stdout).toMatch(/line 5 +invalid .*prompt: is required/);
    expect(emulator.stats().jobsCreated).toBe(1);
  });

  it("resumes after a SIGKILL mid-run without submitting any line twice", async () => {
    const cwd = await tempDir();
    // Lines 3 and 6 are identical on purpose: distinct jobs all the same (each line has its own key).
    await writeFile(
      join(cwd, "prompts.jsonl"),
      '{"prompt": "fox 1"}\n"fox 2"\n{"prompt": "same fox"}\n\n{"prompt": "fox 4", "seed": 4}\n{"prompt": "same fox"}\n',
    );
    const journal = join(cwd, "out", "batch-journal.jsonl");
    const args = ["batch", "prompts.jsonl", "--endpoint", "fal-ai/flux-lora", "--concurrency", "2", "--base-url", emulator.url, "--json"];
    emulator.resetStats();
    const count = async (type: string) => (await journalRecords(journal)).filter((r) => r.type === type);

    // First run: two jobs accepted; one finishes; a third is accepted; then the process dies.
    const first = startFlux(args, { cwd });
    const submitted = await waitFor("two submits journalled", async () => {
      const s = await count("submitted");
      return s.length === 2 ? s : undefined;
    });
    emulator.finish(submitted[0]?.request_id);
    await waitFor("one line done and a third submitted", async () => (await count("done")).length === 1 && (await count("submitted")).length === 3);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    expect(emulator.stats().jobsCreated).toBe(3);
    // With two in flight, either of the first two lines may be the one that finished.
    const doneBeforeKill = (await count("done")).map((r) => r.line);
    expect(doneBeforeKill).toHaveLength(1);

    // Second run: follows lines 2 and 3 by request id, submits lines 5 and 6.
    const second = startFlux(args, { cwd });
    const exit = await exitFinishingJobs(emulator, second, "the resumed batch to finish");
    expect(exit.stderr).toBe("");
    expect(exit.code).toBe(0);
    const report = JSON.parse(exit.stdout) as Report;
    expect(report.lines.map((l) => [l.line, l.status])).toEqual([
      [1, "done"],
      [2, "done"],
      [3, "done"],
      [5, "done"],
      [6, "done"],
    ]);
    expect(report.lines.filter((l) => l.note === "finished in an earlier run").map((l) => l.line)).toEqual(doneBeforeKill);
    for (const line of report.lines) {
      const [image, json] = line.files ?? [];
      expect(await magic(image ?? "")).toBe("jpeg");
      expect(json).toBe(join(cwd, "out", `${line.request_id}.json`));
      expect(existsSync(json ?? "")).toBe(true);
    }
    const stats = emulator.stats();
    expect(stats.duplicateSubmits).toEqual([]);
    expect(stats.jobsCreated).toBe(5);
    expect(stats.requests.submit).toBe(5);
    expect(new Set(report.lines.map((l) => l.request_id)).size).toBe(5);

    // A third run has nothing left to do: it reports every line from the journal.
    const third = await flux(args, { cwd });
    expect(third.code).toBe(0);
    expect((JSON.parse(third.stdout) as Report).summary).toEqual({ done: 5 });
    expect(emulator.stats().jobsCreated).toBe(5);
  });

  it("Ctrl-C stops the batch (exit 130) leaving jobs to resume, and the re-run finishes them", async () => {
    const cwd = await tempDir();
    await writeFile(join(cwd, "p.jsonl"), '"ctrl-c fox 1"\n"ctrl-c fox 2"\n"ctrl-c fox 3"\n');
    const args = ["batch", "p.jsonl", "-e", "flux-lora", "-c", "2", "--base-url", emulator.url];
    emulator.resetStats();
    const run = startFlux(args, { cwd });
    await waitFor(
      "two submits journalled",
      async () => (await journalRecords(join(cwd, "out", "batch-journal.jsonl"))).filter((r) => r.type === "submitted").length === 2,
    );
    run.child.kill("SIGINT");
    const exit = await run.exited;
    expect(exit.code).toBe(130);
    expect(exit.stdout).toMatch(/line 1 +running/);
    expect(exit.stdout).toMatch(/line 3 +pending/);
    expect(exit.stdout).toContain("Run the same command again to resume.");
    expect(emulator.stats().requests.cancel).toBe(0);

    const again = startFlux(args, { cwd });
    const done = await exitFinishingJobs(emulator, again, "the resumed batch to finish");
    expect(done.code).toBe(0);
    expect(done.stdout).toContain("3 lines: 3 done");
    expect(emulator.stats()).toMatchObject({ jobsCreated: 3, duplicateSubmits: [] });
  });
});
