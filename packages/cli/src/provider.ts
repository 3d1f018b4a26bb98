/**
 * Which server the CLI talks to, and with which token. `local` (the embedded emulator, started
 * in this process) is the default when no token is configured, so a fresh machine works offline;
 * chainhub, kkiai and fal take their token from the environment.
 */
import { randomUUID } from "node:crypto";
import { createEmulator } from "@fluxkit/emulator";
import type { Env, ProviderName } from "@fluxkit/protocol";
import { findToken, GENERIC_TOKEN_ENV, isProviderName, providerNames, providerPresets, readEnv, tokenVariables } from "@fluxkit/protocol";
import { createQueueClient, type QueueClient } from "@fluxkit/queue";
import type { RegisteredEndpoint } from "./endpoints.js";
import { CliError, ExitCode, usageError } from "./exit-codes.js";

/** `local` (the embedded emulator) and every provider of @fluxkit/protocol's table. */
export const PROVIDER_CHOICES: readonly ProviderChoice[] = ["local", ...providerNames];
export type ProviderChoice = "local" | ProviderName;

export type { Env };

export interface ProviderFlags {
  /** `--provider` */
  readonly provider?: string | undefined;
  /** `--base-url`: any queue-compatible server, e.g. one started by `flux emulator`. */
  readonly baseUrl?: string | undefined;
}

export interface Connection {
  readonly queue: QueueClient;
  /** For messages: `local (embedded emulator)`, `chainhub`, `http://127.0.0.1:4000`. */
  readonly label: string;
  /**
   * Where a request id can be followed up later. The embedded emulator's jobs die with this
   * process, so its identity is unique per run (`local:<uuid>`).
   */
  readonly identity: string;
  /** True for the embedded emulator: request ids from other processes cannot be found there. */
  readonly ephemeral: boolean;
  close(): Promise<void>;
}

const PRESETS = providerNames;

function checkOffered(endpoint: RegisteredEndpoint, provider: ProviderName): void {
  const offered = endpoint.endpoint.servers.map((s) => s.provider);
  if (!offered.includes(provider)) {
    throw usageError(
      `--provider ${provider}: ${endpoint.id} is not offered by ${provider} (its providers: ${offered.join(", ")}). Pick one of those, or --provider local to run offline.`,
    );
  }
}

/** The provider the user asked for, or the default: the endpoint's first provider with a token, else local. */
export function chooseProvider(flags: ProviderFlags, env: Env, endpoint: RegisteredEndpoint): ProviderChoice {
  const asked = flags.provider ?? readEnv(env, "FLUXKIT_PROVIDER");
  if (asked !== undefined) {
    if (!(PROVIDER_CHOICES as readonly string[]).includes(asked)) {
      throw usageError(`--provider: unknown provider "${asked}". Use one of ${PROVIDER_CHOICES.join(", ")}.`);
    }
    return asked as ProviderChoice;
  }
  for (const server of endpoint.endpoint.servers) {
    if (isProviderName(server.provider) && readEnv(env, providerPresets[server.provider].tokenEnv) !== undefined) {
      return server.provider;
    }
  }
  if (readEnv(env, GENERIC_TOKEN_ENV) !== undefined) {
    throw usageError(
      `${GENERIC_TOKEN_ENV} is set but no provider is chosen: pass --provider ${PRESETS.join("|")} (or set FLUXKIT_PROVIDER). Use --provider local to run offline.`,
    );
  }
  return "local";
}

function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
}

/**
 * Connects to the provider. Without an endpoint (a fleet worker serves every endpoint) the
 * provider must be named: there is no endpoint to pick a default for or to check it offers.
 */
export async function connect(flags: ProviderFlags, env: Env, endpoint: RegisteredEndpoint | undefined): Promise<Connection> {
  const baseUrl = flags.baseUrl ?? readEnv(env, "FLUXKIT_BASE_URL");
  if (baseUrl !== undefined) return connectToUrl(baseUrl, flags.provider, env);
  const choice = endpoint === undefined ? namedProvider(flags, env) : chooseProvider(flags, env, endpoint);
  if (choice === "local") return connectLocal();
  if (endpoint !== undefined) checkOffered(endpoint, choice);
  if (findToken(choice, undefined, env) === undefined) {
    const [own, generic] = tokenVariables(choice);
    throw new CliError(
      `--provider ${choice}: no token. Set ${own} (or ${generic}) in the environment, e.g. \`export ${own}=…\`. To run offline against the embedded emulator, use --provider local.`,
      ExitCode.auth,
    );
  }
  return {
    // The queue reads the token from the same environment, by the same rule.
    queue: createQueueClient({ provider: choice, env }),
    label: choice,
    identity: choice,
    ephemeral: false,
    close: async () => {},
  };
}

function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw usageError(`--base-url: "${baseUrl}" is not an absolute URL. Give e.g. http://127.0.0.1:4000 (the address \`flux emulator\` prints).`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw usageError(`--base-url: "${baseUrl}" must be an http(s) URL.`);
  }
  return url;
}

const urlIdentity = (url: URL): string => `url:${url.href.replace(/\/+$/, "")}`;

/** A provider named by --provider or FLUXKIT_PROVIDER, for commands that have no endpoint to choose by. */
function namedProvider(flags: ProviderFlags, env: Env): ProviderChoice {
  const asked = flags.provider ?? readEnv(env, "FLUXKIT_PROVIDER");
  if (asked === undefined) {
    throw usageError(`which provider? Pass --provider ${PRESETS.join("|")} (its token from the environment), or --base-url of a queue-compatible server.`);
  }
  if (!(PROVIDER_CHOICES as readonly string[]).includes(asked)) {
    throw usageError(`--provider: unknown provider "${asked}". Use one of ${PROVIDER_CHOICES.join(", ")}.`);
  }
  return asked as ProviderChoice;
}

/**
 * The provider identity (as in `Connection.identity`) for work shared between processes through
 * Redis, decided without connecting or reading a token: an enqueuer needs none. The embedded
 * emulator is refused: its jobs live inside one process, where other workers cannot follow them.
 */
export function sharedProviderIdentity(flags: ProviderFlags, env: Env, endpoint: RegisteredEndpoint | undefined): string {
  const baseUrl = flags.baseUrl ?? readEnv(env, "FLUXKIT_BASE_URL");
  if (baseUrl !== undefined) return urlIdentity(parseBaseUrl(baseUrl));
  const choice = endpoint === undefined ? namedProvider(flags, env) : chooseProvider(flags, env, endpoint);
  if (choice === "local") {
    throw usageError(
      `--redis needs a provider every worker can reach: --provider ${PRESETS.join("|")}, or --base-url of a shared server (e.g. one started by \`flux emulator --port 8787\`). The embedded emulator (--provider local) lives inside one process.`,
    );
  }
  if (endpoint !== undefined) checkOffered(endpoint, choice);
  return choice;
}

function connectToUrl(baseUrl: string, provider: string | undefined, env: Env): Connection {
  const url = parseBaseUrl(baseUrl);
  if (provider !== undefined && !isProviderName(provider)) {
    throw usageError(`--provider ${provider} with --base-url: give the scheme the server plays (${PRESETS.join(", ")}), or leave --provider out for fal's.`);
  }
  const preset = provider as ProviderName | undefined;
  const auth = preset === undefined ? "key" : providerPresets[preset].auth;
  // A local emulator accepts any non-empty token; elsewhere a missing token is the server's to refuse.
  // The scheme's own variable counts too (a custom host reads only FLUXKIT_TOKEN), so the token is passed.
  const token = findToken(preset, undefined, env) ?? (isLoopback(url) ? "local" : undefined);
  return {
    queue: createQueueClient({ provider: { baseUrl: url.href.replace(/\/+$/, ""), auth }, ...(token === undefined ? {} : { token }), env }),
    label: url.origin,
    identity: urlIdentity(url),
    ephemeral: false,
    close: async () => {},
  };
}

async function connectLocal(): Promise<Connection> {
  // A random seed, so request ids (and file names) differ from one run to the next.
  const emulator = await createEmulator({ provider: "fal", latency: "fast", allEndpoints: true, seed: randomUUID() });
  return {
    queue: createQueueClient({ provider: { baseUrl: emulator.url, auth: emulator.auth }, token: "local" }),
    label: "local (embedded emulator)",
    identity: `local:${randomUUID()}`,
    ephemeral: true,
    close: () => emulator.close(),
  };
}
