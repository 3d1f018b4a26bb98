import { describe, expect, it } from "vitest";
import { FluxkitError, createQueueClient } from "../../src/index.js";
import { CompletionHistory, type PollingOptions, PollSchedule, defaultPollingOptions } from "../../src/polling.js";
import { fluxLora, sampleOutput } from "../fixtures/endpoints.js";
import { TOKEN, json, observedFetch, route, submitted, testClient, type Responder } from "../helpers.js";

const input = { prompt: "a cat", num_images: 1 };

/**
 * A queue whose jobs complete a given time after their submit (virtual time), and a record of
 * when each job was polled, in ms after its submit.
 */
interface TimedJob {
  readonly id: string;
  readonly runMs: number;
  readonly queuedMs?: number;
  readonly fails?: boolean;
}

/** Jobs `<prefix>1`, `<prefix>2`, ... in submit order, each given its run time or its whole timing. */
const jobs = (prefix: string, ...timings: (number | Omit<TimedJob, "id">)[]): TimedJob[] =>
  timings.map((t, i) => ({ id: `${prefix}${i + 1}`, ...(typeof t === "number" ? { runMs: t } : t) }));

function timedQueue(jobs: readonly TimedJob[]) {
  let now = () => 0;
  const submittedAt = new Map<string, number>();
  const polls = new Map<string, number[]>();
  const routes: Record<string, Responder | Responder[]> = {
    "POST /fal-ai/flux-lora": jobs.map((job) => () => {
      submittedAt.set(job.id, now());
      return json(200, submitted(job.id))(undefined as never, undefined);
    }),
  };
  for (const job of jobs) {
    routes[route("GET", job.id, "/status")] = () => {
      const age = now() - (submittedAt.get(job.id) ?? 0);
      polls.set(job.id, [...(polls.get(job.id) ?? []), age]);
      if (age < (job.queuedMs ?? 0)) return json(202, { status: "IN_QUEUE", queue_position: 1 })(undefined as never, undefined);
      if (age < job.runMs) return json(202, { status: "IN_PROGRESS", logs: [] })(undefined as never, undefined);
      const done = job.fails ? { status: "COMPLETED", error: "boom" } : { status: "COMPLETED" };
      return json(200, done)(undefined as never, undefined);
    };
    routes[route("GET", job.id)] = job.fails ? json(500, { detail: "boom" }) : json(200, sampleOutput);
  }
  const { fetch } = observedFetch(routes);
  return { fetch, polls: (id: string) => polls.get(id) ?? [], setNow: (f: () => number) => (now = f) };
}

/** Runs the jobs one after another on one client. */
async function runAll(jobs: Parameters<typeof timedQueue>[0], polling?: Partial<PollingOptions>) {
  const queue = timedQueue(jobs);
  const { client, now } = testClient(queue.fetch, polling === undefined ? {} : { polling });
  queue.setNow(now);
  for (let i = 0; i < jobs.length; i++) await client.run(fluxLora, input).catch(() => undefined);
  return queue;
}

describe("adaptive polling", () => {
  it("polls around the time this endpoint's recent jobs completed, not from the start", async () => {
    const queue = await runAll(jobs("a", 1000, 1200, 1400, 1300));
    // No history yet: the plain backoff, from 250 ms after the submit.
    expect(queue.polls("a1")).toEqual([250, 625, 1188]);
    expect(queue.polls("a2")).toEqual([250, 625, 1188, 2033]);
    // Completed after 625 and by 2033 → that window, polled every two fifths of its width (capped at 500 ms).
    // The plain schedule would have seen a4 at 2033, 733 ms late.
    expect(queue.polls("a4")).toEqual([625, 1125, 1625]);
  });

  it("backs off as usual once the window has passed without a completion", async () => {
    const queue = await runAll(jobs("b", 1000, 1000, 1000, 6000));
    const polls = queue.polls("b4");
    const gaps = polls.slice(1).map((t, i) => t - (polls[i] as number));
    // The window 625–1188 every 225 ms, then growing from there to the 2 s cap.
    expect(polls.slice(0, 3)).toEqual([625, 850, 1075]);
    expect(gaps.slice(2)).toEqual([225, 338, 507, 761, 1142, 1713, 2000]);
  });

  it("still looks every maxIntervalMs before the window, so a much quicker job is not left waiting", async () => {
    const queue = await runAll(jobs("w", 8000, 8000, 8000, 900));
    // The window opens at 7203 (8 s jobs were last seen unfinished then); looks counted back by 2 s.
    expect(queue.polls("w1").at(-2)).toBe(7203);
    expect(queue.polls("w4")).toEqual([1203]);
  });

  it("drops the window when the job is still queued in it", async () => {
    const queue = await runAll(jobs("q", 1000, 1000, 1000, { runMs: 5000, queuedMs: 4000 }));
    const polls = queue.polls("q4");
    // The first look (the window's start) says IN_QUEUE: the plain schedule from there, not 225 ms steps.
    expect(polls.slice(0, 3)).toEqual([625, 875, 1250]);
  });

  it("learns nothing from failed jobs", async () => {
    const queue = await runAll(jobs("f", { runMs: 100, fails: true }, { runMs: 100, fails: true }, { runMs: 100, fails: true }, 1000));
    expect(queue.polls("f4")).toEqual([250, 625, 1188]);
  });

  it("can be turned off", async () => {
    const queue = await runAll(jobs("o", 1000, 1000, 1000, 1000), { adaptive: false });
    expect(queue.polls("o4")).toEqual([250, 625, 1188]);
  });

  it("is kept per client", async () => {
    const queue = timedQueue(jobs("c", 1000, 1000, 1000, 1000));
    const first = testClient(queue.fetch);
    queue.setNow(first.now);
    for (let i = 0; i < 3; i++) await first.client.run(fluxLora, input);
    const second = testClient(queue.fetch);
    queue.setNow(second.now);
    await second.client.run(fluxLora, input);
    expect(queue.polls("c4")).toEqual([250, 625, 1188]);
  });

  it("needs the submit time: a job resumed from a bare request id is polled at once", async () => {
    const queue = timedQueue(jobs("r", 1000, 1000, 1000, 0));
    const { client, now } = testClient(queue.fetch);
    queue.setNow(now);
    for (let i = 0; i < 3; i++) await client.run(fluxLora, input);
    const handle = await client.submit(fluxLora, input);
    expect(handle.submittedAt).toBe(now());
    await client.subscribe({ endpoint: fluxLora, requestId: handle.requestId });
    expect(queue.polls("r4")).toEqual([0]);
  });
});

describe("PollSchedule", () => {
  it("keeps to its grid whatever the requests take, then backs off from the window's step", () => {
    let t = 0;
    const schedule = new PollSchedule(defaultPollingOptions, { earliest: 1000, latest: 1500 }, () => t);
    expect(schedule.first()).toBe(1000);
    const waits: number[] = [];
    t = 1007; // each request takes 7 ms
    for (let i = 0; i < 6; i++) {
      const w = schedule.next();
      waits.push(w);
      t += w + 7;
    }
    expect(waits).toEqual([193, 193, 200, 300, 450, 675]);
  });

  it("looks before a late window every maxIntervalMs, never sooner than the first plain look", () => {
    let t = 0;
    const schedule = new PollSchedule(defaultPollingOptions, { earliest: 8000, latest: 8400 }, () => t);
    const looks = [schedule.first()];
    for (let i = 0; i < 5; i++) {
      t = looks.at(-1) as number;
      looks.push(t + schedule.next());
    }
    expect(looks).toEqual([2000, 4000, 6000, 8000, 8160, 8320]);
  });

  it("honours a server hint over the plan", () => {
    const schedule = new PollSchedule(defaultPollingOptions, { earliest: 1000, latest: 1500 }, () => 900);
    expect(schedule.next(3000)).toBe(3000);
  });

  it("ignores a window that has already passed", () => {
    const schedule = new PollSchedule(defaultPollingOptions, { earliest: 1000, latest: 1500 }, () => 9000);
    expect(schedule.first()).toBe(0);
    expect(schedule.next()).toBe(250);
  });
});

describe("CompletionHistory", () => {
  it("needs three samples, keeps the last eight, and ignores one outlier each side once it has eight", () => {
    const history = new CompletionHistory();
    history.record("e", 900, 1000);
    history.record("e", 1000, 1100);
    expect(history.window("e")).toBeUndefined();
    history.record("e", 1100, 1200);
    expect(history.window("e")).toEqual({ earliest: 900, latest: 1200 });
    for (const [a, b] of [
      [950, 1050],
      [1000, 1150],
      [1050, 1120],
      [1000, 1080],
      [59_000, 60_000],
    ] as const)
      history.record("e", a, b);
    expect(history.window("e")).toEqual({ earliest: 950, latest: 1200 });
    for (let i = 0; i < 8; i++) history.record("e", 3000 + i, 3100 + i);
    expect(history.window("e")).toEqual({ earliest: 3001, latest: 3106 });
    expect(history.window("other")).toBeUndefined();
  });

  it("ignores impossible samples", () => {
    const history = new CompletionHistory();
    for (const [a, b] of [
      [-1, 10],
      [10, 5],
      [Number.NaN, 10],
      [0, Number.POSITIVE_INFINITY],
    ] as const)
      history.record("e", a, b);
    for (let i = 0; i < 2; i++) history.record("e", 1, 2);
    expect(history.window("e")).toBeUndefined();
  });
});

describe("polling options", () => {
  it.each([
    [{ factor: 0.5 }, "polling.factor must be a number ≥ 1, got 0.5"],
    [{ initialIntervalMs: -1 }, "polling.initialIntervalMs must be a positive number of ms, got -1"],
    [{ initialIntervalMs: 500, maxIntervalMs: 100 }, "polling.maxIntervalMs must be a number of ms ≥ initialIntervalMs, got 100"],
    [{ adaptive: "yes" as unknown as boolean }, 'polling.adaptive must be true or false, got "yes"'],
  ])("rejects %j when the client is created", (polling, message) => {
    expect(() => createQueueClient({ provider: "fal", token: TOKEN, polling })).toThrow(FluxkitError);
    expect(() => createQueueClient({ provider: "fal", token: TOKEN, polling })).toThrow(message);
  });
});
