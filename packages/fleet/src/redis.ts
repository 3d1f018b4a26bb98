/**
 * Connecting to Redis from a `--redis` URL: the URL is checked first, every message shows it
 * with its password hidden, and an unreachable server is a clear error before anything is
 * written. Long-running processes (workers, the webhook receiver) then reconnect forever, as
 * BullMQ expects (`maxRetriesPerRequest: null`).
 */
import { Redis } from "ioredis";
import { FleetError, RedisUnreachableError, messageOf } from "./errors.js";

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`. Never prints a password. */
export function redactRedisUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password !== "") url.password = "***";
    return url.href;
  } catch {
    // Not a URL: hide anything between the scheme and an @, where credentials would be.
    return text.replace(/(\/\/)[^@/]*@/, "$1***@");
  }
}

export function parseRedisUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FleetError(
      `--redis: "${redactRedisUrl(text)}" is not a URL. Give redis://host:6379 (rediss:// for TLS, redis://:password@host:6379/0 with a password).`,
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new FleetError(`--redis: "${redactRedisUrl(text)}" is not a Redis URL. Give redis://host:6379 (rediss:// for TLS).`);
  }
  return url;
}

export interface ConnectOptions {
  /**
   * For workers and the receiver: commands wait through outages instead of failing (BullMQ's
   * requirement for workers). Short commands (enqueue, status, results) fail instead.
   */
  readonly longRunning?: boolean;
  /** How long the first connection may take. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Reports connection errors after the first successful connection (reconnects follow). */
  readonly onError?: (error: Error) => void;
}

export async function connectRedis(text: string, options: ConnectOptions = {}): Promise<Redis> {
  const url = parseRedisUrl(text);
  const shown = redactRedisUrl(url.href);
  let connected = false;
  const errors: string[] = [];
  const redis = new Redis(url.href, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    maxRetriesPerRequest: options.longRunning === true ? null : 3,
    // Before the first connection: fail fast (nothing is written); after it: reconnect, capped at 2 s.
    retryStrategy: (times) => (connected ? Math.min(times * 200, 2000) : null),
  });
  redis.on("error", (error: Error) => {
    if (connected) options.onError?.(error);
    else errors.push(error.message);
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const cause = errors.at(-1) ?? messageOf(error);
    const hint = /NOAUTH|WRONGPASS|invalid username-password/i.test(cause)
      ? "Check the user and password in the URL."
      : "Check that Redis runs there and that this machine can reach it.";
    throw new RedisUnreachableError(`Cannot use Redis at ${shown} (${cleanCause(cause, url)}). ${hint}`, shown);
  }
  connected = true;
  return redis;
}

/** ioredis messages may echo the URL; make sure no password survives in them. */
function cleanCause(cause: string, url: URL): string {
  return url.password === "" ? cause : cause.split(decodeURIComponent(url.password)).join("***").split(url.password).join("***");
}
