import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConfigError, LATENCY_PROFILES, parseCliArgs } from "../src/index.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
// The built binary, as users run it: no per-spawn TypeScript transpile (tests run after build).
const BIN = fileURLToPath(new URL("../bin/fluxkit-emulator.js", import.meta.url));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBin(args: string[]): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: packageDir });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("parseCliArgs", () => {
  it("turns flags into options", () => {
    const parsed = parseCliArgs([
      "--port",
      "8123",
      "--provider",
      "kkiai",
      "--latency",
      "instant",
      "--seed",
      "9",
      "--concurrency",
      "3",
      "--fault",
      "status:503*2",
      "--token",
      "t",
    ]);
    expect(parsed).toEqual({
      help: false,
      options: {
        port: 8123,
        provider: "kkiai",
        latency: LATENCY_PROFILES.instant,
        seed: 9,
        concurrency: 3,
        token: "t",
        faults: [{ route: "status", fault: "503", times: 2 }],
      },
    });
    expect(parseCliArgs(["--latency", "start=5,run=20"])).toMatchObject({ options: { latency: { startMs: 5, runMs: 20 } } });
    expect(parseCliArgs(["--help"])).toEqual({ help: true });
  });

  it.each([
    [["--provider", "openai"], "--provider", "chainhub, kkiai, fal"],
    [["--port", "99999"], "--port", "0 to 65535"],
    [["--latency", "sometimes"], "--latency", "instant, fast, realistic"],
    [["--concurrency", "0"], "--concurrency", "from 1"],
    [["--fault", "meteor"], "--fault", "429"],
    [["--colour", "red"], "--colour", "--help"],
  ])("refuses %j naming the flag and what it accepts", (args, flag, accepted) => {
    let error: unknown;
    try {
      parseCliArgs(args);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).option).toBe(flag);
    expect((error as Error).message).toContain(flag);
    expect((error as Error).message).toContain(accepted);
  });
});

describe("fluxkit-emulator bin", () => {
  it("exits 2 with a clear message on bad configuration", async () => {
    const bad = await runBin(["--provider", "openai"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid --provider "openai": expected one of chainhub, kkiai, fal.');
    const missing = await runBin(["--specs", "/nonexistent"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--specs");
  });

  it("starts, prints its URL, serves, and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN, "--provider", "chainhub", "--latency", "instant"], { cwd: packageDir });
    let stdout = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      child.on("close", (code) => reject(new Error(`exited early with ${String(code)}`)));
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { provider: string };
    expect(health.provider).toBe("chainhub");
    const submitted = await fetch(`${url}/fal-ai/flux-lora`, {
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify({ prompt: "cli", image_size: { width: 8, height: 8 } }),
    });
    expect(submitted.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
    expect(stdout).toContain("stopped (SIGTERM)");
  });
});
