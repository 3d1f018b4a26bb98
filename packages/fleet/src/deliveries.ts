/**
 * Verified webhook deliveries, kept in Redis by the receiver (one key per request id, written
 * once: a second delivery of the same id is a duplicate) and picked up by the worker that holds
 * the job. Workers look for the deliveries of all the jobs they wait on with one MGET per tick,
 * whatever their number, so waiting costs no request to the provider.
 */
import type { WebhookDelivery } from "@fluxkit/queue";
import type { Redis } from "ioredis";
import { keys } from "./names.js";

/** fal retries a delivery for about two hours; keep it (and its duplicate check) well beyond. */
export const DELIVERY_TTL_SECONDS = 3 * 24 * 60 * 60;

/** Stores a verified delivery unless one is already there; false for a duplicate. */
export async function storeDelivery(redis: Redis, requestId: string, body: string): Promise<boolean> {
  const set = await redis.set(keys.delivery(requestId), body, "EX", DELIVERY_TTL_SECONDS, "NX");
  return set === "OK";
}

interface Waiter {
  readonly resolve: (delivery: WebhookDelivery) => void;
}

export class DeliveryWatcher {
  readonly #redis: Redis;
  readonly #intervalMs: number;
  readonly #waiters = new Map<string, Set<Waiter>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #looking = false;

  constructor(redis: Redis, intervalMs = 200) {
    this.#redis = redis;
    this.#intervalMs = intervalMs;
  }

  /** Resolves with the delivery for `requestId`, or undefined when `signal` fires first. */
  wait(requestId: string, signal: AbortSignal): Promise<WebhookDelivery | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const set = this.#waiters.get(requestId) ?? new Set<Waiter>();
      const waiter: Waiter = {
        resolve: (delivery) => {
          signal.removeEventListener("abort", onAbort);
          resolve(delivery);
        },
      };
      const onAbort = () => {
        set.delete(waiter);
        if (set.size === 0) this.#waiters.delete(requestId);
        resolve(undefined);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      set.add(waiter);
      this.#waiters.set(requestId, set);
      this.#schedule(0);
    });
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delay: number): void {
    if (this.#timer !== undefined || this.#looking || this.#waiters.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#look();
    }, delay);
  }

  async #look(): Promise<void> {
    this.#looking = true;
    try {
      const ids = [...this.#waiters.keys()];
      const bodies = await this.#redis.mget(...ids.map((id) => keys.delivery(id)));
      for (const [i, body] of bodies.entries()) {
        const id = ids[i];
        if (body === null || id === undefined) continue;
        const delivery = JSON.parse(body) as WebhookDelivery;
        for (const waiter of this.#waiters.get(id) ?? []) waiter.resolve(delivery);
        this.#waiters.delete(id);
      }
    } catch {
      // Redis unreachable for a moment: the next tick looks again.
    } finally {
      this.#looking = false;
      this.#schedule(this.#intervalMs);
    }
  }
}
