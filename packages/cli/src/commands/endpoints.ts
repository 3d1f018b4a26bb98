/** `flux endpoints`: every endpoint the CLI knows, with the providers that serve it. */
import type { CliIO } from "../cli-io.js";
import { ENDPOINTS } from "../endpoints.js";
import { ExitCode } from "../exit-codes.js";
import { parseFlags } from "../flags.js";
import { expectNoPositionals, HELP_OPTION } from "../options.js";

export const ENDPOINTS_HELP = `Usage: flux endpoints [--json]

Lists the endpoints (id, slug for \`flux run\`, package) and their providers: local (the
embedded emulator) serves every one; the others are read from each endpoint's servers.
`;

export async function endpointsCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { options, positionals } = parseFlags([], [...argv], { ...HELP_OPTION, json: { type: "boolean" } });
  if (options.help === true) {
    io.stdout.write(ENDPOINTS_HELP);
    return ExitCode.ok;
  }
  expectNoPositionals(positionals, "endpoints");
  const rows = ENDPOINTS.map((e) => ({
    id: e.id,
    slug: e.slug,
    package: e.packageName,
    providers: ["local", ...e.endpoint.servers.map((s) => s.provider)],
    servers: e.endpoint.servers,
  }));
  if (options.json === true) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return ExitCode.ok;
  }
  const width = Math.max(...rows.map((r) => r.id.length));
  const slugWidth = Math.max(...rows.map((r) => r.slug.length));
  io.stdout.write(`${"ENDPOINT".padEnd(width)}  ${"SLUG".padEnd(slugWidth)}  PROVIDERS\n`);
  for (const r of rows) io.stdout.write(`${r.id.padEnd(width)}  ${r.slug.padEnd(slugWidth)}  ${r.providers.join(", ")}\n`);
  return ExitCode.ok;
}
