/** Shared by status, result and cancel: `<request-id> --endpoint <id>` and a connection that can find it. */
import type { CliIO } from "../cli-io.js";
import { findEndpoint } from "../endpoints.js";
import { ExitCode, usageError } from "../exit-codes.js";
import { parseFlags } from "../flags.js";
import { CONNECTION_HELP, CONNECTION_OPTIONS, HELP_OPTION, printedHelp } from "../options.js";
import { connect } from "../provider.js";

type OptionConfig = { readonly type: "string" | "boolean"; readonly short?: string };

export const FOLLOW_UP_OPTIONS = { ...CONNECTION_OPTIONS, ...HELP_OPTION, endpoint: { type: "string", short: "e" } } as const;

export function followUpHelp(command: string, summary: string, extra: string): string {
  return `Usage: flux ${command} <request-id> --endpoint <endpoint> [options]

${summary}

Options:
  --endpoint, -e <endpoint>   The endpoint the job was submitted to (id or slug); required
${extra}${CONNECTION_HELP}
`;
}

export async function parseFollowUp<Extra extends Record<string, OptionConfig>>(command: string, argv: readonly string[], extra: Extra, io: CliIO) {
  const { options, positionals } = parseFlags([], [...argv], { ...FOLLOW_UP_OPTIONS, ...extra });
  const [requestId, ...rest] = positionals;
  if (requestId === undefined || requestId === "") {
    throw usageError(`flux ${command}: which request? Give its id, e.g. \`flux ${command} <request-id> --endpoint flux-lora\`.`);
  }
  if (rest.length > 0) throw usageError(`flux ${command}: one request id at a time (also got ${rest.map((r) => `"${r}"`).join(" ")}).`);
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const endpoint = findEndpoint(text(options.endpoint), `flux ${command} --endpoint`);
  const connection = await connect({ provider: text(options.provider), baseUrl: text(options["base-url"]) }, io.env, endpoint);
  if (connection.ephemeral) {
    await connection.close();
    throw usageError(
      `flux ${command}: no provider to ask. The local provider's emulator lives inside one flux process, so its request ids cannot be looked up later. Pass --provider chainhub|kkiai|fal (with its token), or --base-url of a server started with \`flux emulator\`.`,
    );
  }
  return { requestId, endpoint, options, connection };
}

export type FollowUp<Extra extends Record<string, OptionConfig>> = Awaited<ReturnType<typeof parseFollowUp<Extra>>>;

/**
 * A follow-up command (status, result, cancel): `--help`, the request id and endpoint, a
 * connection that is always closed, and `act` for what the command itself does.
 */
export function followUpCommand<Extra extends Record<string, OptionConfig>>(spec: {
  readonly name: string;
  readonly summary: string;
  readonly optionsHelp: string;
  readonly options: Extra;
  readonly act: (job: FollowUp<Extra>, io: CliIO) => Promise<void>;
}): (argv: readonly string[], io: CliIO) => Promise<number> {
  const help = followUpHelp(spec.name, spec.summary, spec.optionsHelp);
  return async (argv, io) => {
    if (printedHelp(argv, io.stdout, help)) return ExitCode.ok;
    const job = await parseFollowUp(spec.name, argv, spec.options, io);
    try {
      await spec.act(job, io);
      return ExitCode.ok;
    } finally {
      await job.connection.close();
    }
  };
}
