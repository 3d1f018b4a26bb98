import { describe, expect, it } from "vitest";
import { FleetError } from "../src/errors.js";
import { checkBatchName, jobIdFor, queueNameFor } from "../src/names.js";
import { describeRateLimit, parseRateLimit } from "../src/rate-limit.js";
import { parseRedisUrl, redactRedisUrl } from "../src/redis.js";

describe("names", () => {
  it("derives one job id per batch and line, never one BullMQ refuses", () => {
    expect(jobIdFor("spring-campaign", 7)).toBe("spring-campaign.7");
    // All-digit names would make all-digit ids without the separator; with it they are not.
    expect(jobIdFor("2024", 1)).toBe("2024.1");
    expect(jobIdFor("a.1", 2)).not.toBe(jobIdFor("a", 12));
  });

  it("accepts batch names that are safe in Redis keys and job ids", () => {
    expect(checkBatchName("spring_2024.v2-final")).toBe("spring_2024.v2-final");
    for (const bad of ["", "has space", "colon:name", "-dash-first", "x".repeat(65), "ünicode"]) {
      expect(() => checkBatchName(bad), bad).toThrow(FleetError);
    }
    expect(() => checkBatchName(undefined)).toThrow(/every batch on Redis needs a name/);
  });

  it("names one queue per provider; custom URLs by host plus a hash of the whole URL", () => {
    expect(queueNameFor("chainhub")).toBe("flux-chainhub");
    const a = queueNameFor("url:http://127.0.0.1:4000");
    const b = queueNameFor("url:http://127.0.0.1:4000/other");
    expect(a).toMatch(/^flux-url-127\.0\.0\.1-4000-[0-9a-f]{10}$/);
    expect(b).not.toBe(a);
    expect(a).not.toContain(":");
  });
});

describe("rate limits", () => {
  it.each([
    ["10/s", { max: 10, durationMs: 1000 }],
    ["600/min", { max: 600, durationMs: 60_000 }],
    ["5/2s", { max: 5, durationMs: 2000 }],
    ["100/1h", { max: 100, durationMs: 3_600_000 }],
    ["3/500ms", { max: 3, durationMs: 500 }],
    [" 7 / s ", { max: 7, durationMs: 1000 }],
  ])("%s", (text, limit) => {
    expect(parseRateLimit(text)).toEqual(limit);
  });

  it("says what it expects for anything else", () => {
    expect(parseRateLimit("off")).toBe("off");
    for (const bad of ["10", "fast", "0/s", "10/parsec", "-1/s", "1.5/s", "1/0s", "1/1ms"]) {
      expect(() => parseRateLimit(bad), bad).toThrow(/--rate/);
    }
  });

  it("describes a limit for people", () => {
    expect(describeRateLimit({ max: 10, durationMs: 1000 })).toBe("10 jobs per 1000 ms (10.0/s)");
    expect(describeRateLimit({ max: 1, durationMs: 2000 })).toBe("1 jobs per 2000 ms (0.50/s)");
    expect(describeRateLimit(undefined)).toBe("no rate limit");
  });
});

describe("Redis URLs", () => {
  it("never shows a password", () => {
    expect(redactRedisUrl("redis://:hunter2@cache:6379/0")).toBe("redis://:***@cache:6379/0");
    expect(redactRedisUrl("rediss://app:p%40ss@cache:6380")).toBe("rediss://app:***@cache:6380");
    expect(redactRedisUrl("redis://cache:6379")).toBe("redis://cache:6379");
    expect(redactRedisUrl("not a url //user:secret@host")).not.toContain("secret");
  });

  it("accepts only redis:// and rediss://, and says so without the password", () => {
    expect(parseRedisUrl("redis://127.0.0.1:6379").port).toBe("6379");
    expect(() => parseRedisUrl("http://:secret@127.0.0.1:6379")).toThrow(/is not a Redis URL/);
    expect(() => parseRedisUrl("http://:secret@127.0.0.1:6379")).not.toThrow(/secret/);
    expect(() => parseRedisUrl("127.0.0.1:6379")).toThrow(/is not a Redis URL|is not a URL/);
  });
});
