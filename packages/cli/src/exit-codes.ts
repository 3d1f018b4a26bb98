/**
 * Exit codes scripts can branch on, and the one error type commands throw to choose one.
 * Errors from @fluxkit/queue are mapped here so every command reports them the same way.
 */
import { AbortError, AuthenticationError, FluxkitError, JobFailedError, RequestError, TimeoutError, ValidationError } from "@fluxkit/queue";
import { FlagError } from "./flags.js";

export const ExitCode = {
  ok: 0,
  /** Bad input or usage: nothing was sent (or the server refused the input). */
  usage: 2,
  /** No token, or the provider refused it. */
  auth: 3,
  /** The provider failed, or the job ran and failed. */
  failure: 4,
  timeout: 5,
  /** Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is ready for the user (what, where, what to do) and whose exit code is chosen. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError(message, ExitCode.usage);

export function exitCodeFor(error: unknown): ExitCodeValue {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof FlagError || error instanceof ValidationError) return ExitCode.usage;
  if (error instanceof AuthenticationError) return ExitCode.auth;
  if (error instanceof TimeoutError) return ExitCode.timeout;
  if (error instanceof AbortError) return ExitCode.interrupted;
  if (error instanceof JobFailedError) return ExitCode.failure;
  // An unknown request id is a mistake in the command line, not a provider failure.
  if (error instanceof RequestError && error.status === 404) return ExitCode.usage;
  if (error instanceof FluxkitError) return ExitCode.failure;
  return ExitCode.failure;
}
