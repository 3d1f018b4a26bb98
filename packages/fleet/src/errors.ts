/**
 * Errors of the fleet itself, and the typed form in which a line's failure is kept on its job
 * (a BullMQ job keeps only a message; the name, request id and retry advice live beside it).
 */
import { AuthenticationError, ConnectionError, FluxkitError, JobFailedError, ValidationError } from "@fluxkit/queue";

/** A problem the user can act on: bad configuration, a batch that belongs to another file, … */
export class FleetError extends Error {
  override readonly name: string = "FleetError";
}

/** Redis could not be reached or refused us; `url` is the address with its password hidden. */
export class RedisUnreachableError extends FleetError {
  override readonly name: string = "RedisUnreachableError";
  constructor(
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

/**
 * A submit that may have created a job whose request id nobody heard: the process stopped
 * mid-submit, or the answer was lost. Submitting again could pay twice, so the line waits for
 * an explicit `--resubmit-unconfirmed`.
 */
export class UnconfirmedSubmitError extends FleetError {
  override readonly name: string = "UnconfirmedSubmitError";
}

/**
 * What a re-enqueue of the batch does with a failed line:
 * - `final`: nothing (the job ran and failed);
 * - `rerun`: runs it again (no job was created, or the job is followed up by its request id);
 * - `resubmit-unconfirmed`: only with `--resubmit-unconfirmed`.
 */
export type RetryAdvice = "final" | "rerun" | "resubmit-unconfirmed";

export interface LineError {
  /** The error class: JobFailedError, RateLimitError, UnconfirmedSubmitError, … */
  readonly name: string;
  readonly message: string;
  readonly request_id?: string;
  /** HTTP status, when the error came from a response. */
  readonly status?: number;
  /** The provider's error type (`X-Fal-Error-Type`), when it said. */
  readonly error_type?: string;
  readonly retry: RetryAdvice;
}

export function lineError(error: unknown, retry: RetryAdvice, requestId?: string): LineError {
  const base = error instanceof Error ? { name: error.name, message: error.message } : { name: "Error", message: String(error) };
  const fluxkit = error instanceof FluxkitError ? error : undefined;
  const id = fluxkit?.requestId ?? requestId;
  return {
    ...base,
    ...(id === undefined ? {} : { request_id: id }),
    ...(fluxkit?.status === undefined ? {} : { status: fluxkit.status }),
    ...(fluxkit?.errorType === undefined ? {} : { error_type: fluxkit.errorType }),
    retry,
  };
}

/**
 * Only a refusal that certainly created no job may be submitted again (the same rule as the
 * journal of `flux batch`): a local validation error, a connection never made, or a 4xx answer.
 */
export function certainlyNotCreated(error: unknown): boolean {
  if (error instanceof ValidationError) return true;
  if (error instanceof ConnectionError) return error.retryable;
  if (error instanceof FluxkitError && error.status !== undefined) return error.status >= 400 && error.status < 500;
  return false;
}

/** Failures of the job itself: running it again gives the same answer. */
export function isFinalJobFailure(error: unknown): boolean {
  return error instanceof JobFailedError;
}

export function isAuthFailure(error: unknown): boolean {
  return error instanceof AuthenticationError;
}

export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
