/**
 * Names in Redis. One BullMQ queue per provider (so one shared rate limit per provider), one job
 * per input line with an id derived from the batch name and the line number (so enqueueing the
 * same file twice adds nothing), and a few keys of our own beside BullMQ's, all under `fluxkit:`.
 */
import { createHash } from "node:crypto";
import { FleetError } from "./errors.js";

/** BullMQ's key prefix, and ours: everything this package writes starts with `fluxkit:`. */
export const KEY_PREFIX = "fluxkit";

const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkBatchName(name: string | undefined): string {
  if (name === undefined || name === "") {
    throw new FleetError("--name: every batch on Redis needs a name, e.g. --name spring-campaign (letters, digits, '.', '_', '-').");
  }
  if (!BATCH_NAME.test(name)) {
    throw new FleetError(`--name "${name}": use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. spring-campaign).`);
  }
  return name;
}

/** BullMQ ids may not hold ':' nor be all digits; a batch name never holds ':' and the id has a letter-led prefix. */
export function jobIdFor(batch: string, line: number): string {
  return `${batch}.${line}`;
}

/**
 * The queue of a provider: `flux-chainhub`, `flux-fal`, … For a custom base URL, its host plus a
 * short hash of the whole URL (two servers on one host stay apart).
 */
export function queueNameFor(providerIdentity: string): string {
  if (/^[a-z]+$/.test(providerIdentity)) return `flux-${providerIdentity}`;
  const hash = createHash("sha256").update(providerIdentity).digest("hex").slice(0, 10);
  let host = "custom";
  try {
    host = new URL(providerIdentity.replace(/^url:/, "")).host.replace(/[^A-Za-z0-9.-]/g, "-");
  } catch {
    // Not a URL: the hash alone keeps queues apart.
  }
  return `flux-url-${host}-${hash}`;
}

export const keys = {
  /** Hash: what a batch is (file, endpoint, provider, queue, its line numbers). */
  batch: (name: string) => `${KEY_PREFIX}:fleet:batch:${name}`,
  /** Hash per queue: job id → its submit record (about to submit / submitted as request id). */
  submits: (queue: string) => `${KEY_PREFIX}:fleet:submits:${queue}`,
  /** Hash: request id → {queue, job}, so one webhook receiver serves every queue. */
  requests: `${KEY_PREFIX}:fleet:requests`,
  /** String per request id: the verified webhook delivery, as received. */
  delivery: (requestId: string) => `${KEY_PREFIX}:fleet:delivery:${requestId}`,
};
