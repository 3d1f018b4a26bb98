import { describe, expect, it } from "vitest";
import { lineStates, parseJournal } from "../src/journal.js";
import { Progress } from "../src/progress.js";

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (c: string) => chunks.push(c) > 0 };
}

describe("progress", () => {
  it("draws queue position, status, new logs and elapsed time on a TTY", () => {
    let now = 0;
    const tty = stream(true);
    const progress = new Progress(tty, { quiet: false, now: () => now, tickMs: 0 });
    progress.queueUpdate({ status: "IN_QUEUE", queue_position: 2, logs: [] });
    now = 1500;
    progress.queueUpdate({ status: "IN_PROGRESS", logs: [{ message: "Loading model" }] });
    progress.queueUpdate({ status: "IN_PROGRESS", logs: [{ message: "Loading model" }, { message: "Step 1" }] });
    progress.stop();
    const text = tty.chunks.join("");
    expect(text).toContain("in queue, position 2 · 0.0s");
    expect(text).toContain("in progress · 1.5s");
    expect(text.match(/Loading model\n/g)).toHaveLength(1);
    expect(text).toContain("Step 1\n");
  });

  it("is silent when the stream is not a TTY, or with --quiet", () => {
    for (const [s, quiet] of [
      [stream(false), false],
      [stream(true), true],
    ] as const) {
      const progress = new Progress(s, { quiet, tickMs: 0 });
      progress.queueUpdate({ status: "IN_PROGRESS", logs: [{ message: "x" }] });
      progress.line("y");
      progress.stop();
      expect(s.chunks).toEqual([]);
    }
  });
});

describe("journal", () => {
  it("folds records into line states, dropping a torn last line", () => {
    const text = [
      '{"type":"batch","version":1,"batch_id":"b","file":"/f","endpoint":"e","at":"t"}',
      '{"type":"submitting","line":1,"key":"k1","hash":"h1","at":"t"}',
      '{"type":"submitted","line":1,"request_id":"r1","provider":"p","at":"t"}',
      '{"type":"submitting","line":2,"key":"k2","hash":"h2","at":"t"}',
      '{"type":"rejected","line":2,"error":"401","at":"t"}',
      '{"type":"submitting","line":3,"key":"k3","hash":"h3","at":"t"}',
      '{"type":"done","line":1,"request_id":"r1","files":["a"],"at":"t"}',
      '{"type":"submitted","line":3,"request_id":"r',
    ].join("\n");
    const states = lineStates(parseJournal(text, "j"));
    expect(states.get(1)).toEqual({ state: "done", requestId: "r1", files: ["a"] });
    expect(states.get(2)).toEqual({ state: "rejected", error: "401" });
    expect(states.get(3)).toEqual({ state: "unconfirmed", key: "k3", hash: "h3" });
    expect(() => parseJournal(`{oops\n${text}`, "j")).toThrow(/j:1 is not a journal record/);
  });
});
