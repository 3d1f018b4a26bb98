/** The CLI as a library: `main` for embedding and tests, plus the pieces commands are built from. */
export { main, USAGE } from "./main.js";
export type { CliIO } from "./cli-io.js";
export { ENDPOINTS, findEndpoint } from "./endpoints.js";
export type { RegisteredEndpoint } from "./endpoints.js";
export { CliError, ExitCode, exitCodeFor } from "./exit-codes.js";
export type { ExitCodeValue } from "./exit-codes.js";
export { FlagError, flagsFromSchema, helpText, parseFlags } from "./flags.js";
export type { FlagKind, FlagSpec, SchemaNode } from "./flags.js";
export { lineStates, parseJournal } from "./journal.js";
export type { JournalRecord, LineState } from "./journal.js";
