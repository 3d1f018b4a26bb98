/** The `fluxkit-emulator` command line, parsed into EmulatorOptions; errors name the flag. */
import { parseArgs } from "node:util";
import { ConfigError, LATENCY_PROFILES, PROVIDERS, parseInteger, parseLatency, parseProvider } from "./config.js";
import { FAULT_NAMES, type FaultRule, parseFaultRule } from "./faults.js";
import type { EmulatorOptions } from "./server.js";

export const USAGE = `Usage: fluxkit-emulator [options]

A local emulator of fal's queue protocol, serving every endpoint of @fluxkit/endpoints.

Options:
  --port <n>             Port on 127.0.0.1 (default 0: a free port)
  --provider <name>      Provider to play: ${PROVIDERS.join(" | ")} (default fal)
  --latency <profile>    ${Object.keys(LATENCY_PROFILES).join(" | ")}, a run time in ms, or
                         start=<ms>,run=<ms>[,steps=<n>] (default fast)
  --seed <value>         Seed for request ids, unseeded images and fault rates (default 0)
  --concurrency <n>      Jobs running at once (default 2)
  --token <token>        Accept only this token (default: any non-empty token)
  --fault <rule>         [route:]name[=param][*times][@rate], repeatable; names:
                         ${FAULT_NAMES.join(", ")}
  --all-endpoints        Serve specs that do not list the provider too
  --remote-images <p>    placeholder | reject: image_urls the offline emulator cannot fetch
  --help                 Show this help
`;

export type CliCommand = { readonly help: true } | { readonly help: false; readonly options: EmulatorOptions };

export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        provider: { type: "string" },
        latency: { type: "string" },
        seed: { type: "string" },
        concurrency: { type: "string" },
        token: { type: "string" },
        fault: { type: "string", multiple: true },
        "all-endpoints": { type: "boolean" },
        "remote-images": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    const message = (error as Error).message;
    const flag = /'(-{1,2}[^'\s]+)/.exec(message)?.[1] ?? "arguments";
    throw new ConfigError(flag, `${message}. Run fluxkit-emulator --help for the accepted options.`);
  }
  if (values.help === true) return { help: true };
  const text = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  const port = text("port");
  const provider = text("provider");
  const latency = text("latency");
  const seed = text("seed");
  const concurrency = text("concurrency");
  const token = text("token");
  const remote = text("remote-images");
  const faultTexts = Array.isArray(values.fault) ? values.fault : [];
  if (token !== undefined && token.trim() === "") throw new ConfigError("--token", "Invalid --token: expected a non-empty token.");
  if (remote !== undefined && remote !== "placeholder" && remote !== "reject") {
    throw new ConfigError("--remote-images", `Invalid --remote-images "${remote}": expected placeholder or reject.`);
  }
  const faults: FaultRule[] = faultTexts.map((f) => parseFaultRule(f, "--fault"));
  const options: EmulatorOptions = {
    port: port === undefined ? 0 : parseInteger(port, "--port", 0, 65_535),
    provider: provider === undefined ? "fal" : parseProvider(provider, "--provider"),
    latency: parseLatency(latency ?? "fast", "--latency"),
    ...(seed === undefined ? {} : { seed: /^-?\d+$/.test(seed) ? Number(seed) : seed }),
    ...(concurrency === undefined ? {} : { concurrency: parseInteger(concurrency, "--concurrency", 1, 10_000) }),
    ...(token === undefined ? {} : { token }),
    ...(faults.length === 0 ? {} : { faults }),
    ...(values["all-endpoints"] === true ? { allEndpoints: true } : {}),
    ...(remote === undefined ? {} : { remoteImages: remote }),
  };
  return { help: false, options };
}
