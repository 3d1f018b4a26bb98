/**
 * The webhook side of the queue: a job submitted with `fal_webhook` has its result delivered,
 * signed, to that URL when it completes; deliveries are recorded, can be awaited per request,
 * and can be sent again as fal's retries do.
 */
import type { Job } from "./queue-simulator.js";
import { type WebhookDeliveryBody, type WebhookDeliveryRecord, type WebhookSigner, deliverWebhook } from "./webhooks.js";

/** A promise with its resolver, made before anyone resolves it. */
interface Pending<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

export class WebhookDeliveries {
  readonly #signer: WebhookSigner;
  readonly #onDelivered: (record: WebhookDeliveryRecord) => void;
  /** Webhook URLs of the jobs that asked for one, until they complete. */
  readonly #targets = new Map<Job, string>();
  /** What was sent for each request, for redelivery. */
  readonly #sent = new Map<string, { readonly url: string; readonly body: WebhookDeliveryBody }>();
  /** The first delivery of each request, awaited by `firstDelivery`. */
  readonly #first = new Map<string, Pending<WebhookDeliveryRecord>>();
  readonly #records: WebhookDeliveryRecord[] = [];
  readonly #inFlight = new Set<Promise<void>>();

  /** `onDelivered` hears the outcome of each first delivery (for the stats). */
  constructor(signer: WebhookSigner, onDelivered: (record: WebhookDeliveryRecord) => void) {
    this.#signer = signer;
    this.#onDelivered = onDelivered;
  }

  /** The job's result goes to `url` when it completes. */
  register(job: Job, url: string): void {
    this.#targets.set(job, url);
  }

  /** Called when a job completes: delivers its result if it was submitted with a webhook. */
  jobCompleted(job: Job): void {
    const url = this.#targets.get(job);
    if (url === undefined) return;
    this.#targets.delete(job);
    const body = deliveryBody(job);
    this.#sent.set(job.id, { url, body });
    const delivery = deliverWebhook(this.#signer, url, body).then((record) => {
      this.#records.push(record);
      this.#onDelivered(record);
      this.#pending(job.id).resolve(record);
    });
    this.#inFlight.add(delivery);
    void delivery.finally(() => this.#inFlight.delete(delivery));
  }

  /** Resolves with the record of the request's first delivery, once attempted. */
  firstDelivery(requestId: string): Promise<WebhookDeliveryRecord> {
    return this.#pending(requestId).promise;
  }

  /** Sends a request's delivery again: the same body, signed anew at `signedAtMs` (default now). */
  async redeliver(requestId: string, signedAtMs?: number): Promise<WebhookDeliveryRecord> {
    const sent = this.#sent.get(requestId);
    if (sent === undefined) {
      throw new Error(`No webhook delivery to repeat for ${requestId}: the job is unknown, not completed, or was submitted without fal_webhook.`);
    }
    const record = await deliverWebhook(this.#signer, sent.url, sent.body, signedAtMs);
    this.#records.push(record);
    return record;
  }

  records(): readonly WebhookDeliveryRecord[] {
    return [...this.#records];
  }

  /** Resolves when the deliveries under way have ended. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  #pending(requestId: string): Pending<WebhookDeliveryRecord> {
    let pending = this.#first.get(requestId);
    if (pending === undefined) {
      let resolve!: (record: WebhookDeliveryRecord) => void;
      const promise = new Promise<WebhookDeliveryRecord>((r) => {
        resolve = r;
      });
      pending = { promise, resolve };
      this.#first.set(requestId, pending);
    }
    return pending;
  }
}

/** fal's webhook body: the output as `payload` with status OK, or the failure's body with status ERROR. */
function deliveryBody(job: Job): WebhookDeliveryBody {
  const outcome = job.outcome;
  const ok = outcome !== undefined && "output" in outcome;
  const failure = outcome !== undefined && "failure" in outcome ? outcome.failure : undefined;
  return {
    request_id: job.id,
    gateway_request_id: job.id,
    status: ok ? "OK" : "ERROR",
    payload: ok ? outcome.output : (failure?.body ?? null),
    error: ok ? null : `Invalid status code: ${failure?.status ?? 500}`,
    payload_error: null,
  };
}
