export { createQueueClient, QueueClient } from "./client.js";
export type {
  CancelOutcome,
  JobRef,
  JobResult,
  QueueClientOptions,
  QueueHandle,
  RunOptions,
  StatusOptions,
  SubmitOptions,
  WaitOptions,
} from "./client.js";
export type { AnyEndpoint, EndpointDefinition, EndpointServer, InputIssue, InputOf, OutputOf } from "@fluxkit/protocol";
export * from "./errors.js";
export { UNKNOWN_FIELD, checkInput, nearestName, prepareInput } from "./input.js";
export type { CheckedInput, InputCheckOptions } from "./input.js";
export { DEFAULT_MAX_IMAGE_BYTES, IMAGE_MIME_TYPES, bytesToImageDataUri, sniffImageType, toImageUrl } from "./files.js";
export type { ImageInputOptions, ImageMimeType, ImageSource } from "./files.js";
export type { FetchLike } from "./http.js";
export { defaultPollingOptions } from "./polling.js";
export type { PollingOptions } from "./polling.js";
export { providerPresets } from "./providers.js";
export type { AuthScheme, CustomProvider, ProviderName, ProxyProvider, ResolvedProvider } from "./providers.js";
export { defaultRetryOptions } from "./retry.js";
export type { RetryOptions } from "./retry.js";
export type { CompletedStatus, InProgressStatus, InQueueStatus, QueueLog, QueueStatus } from "@fluxkit/protocol";
export type { Clock } from "./clock.js";
export { FAL_QUEUE_HOSTS } from "./urls.js";
export { FAL_WEBHOOK_JWKS_URL, WebhookVerificationError, createWebhookVerifier } from "./webhooks.js";
export type {
  WebhookDelivery,
  WebhookFailure,
  WebhookRequest,
  WebhookSuccess,
  WebhookVerificationReason,
  WebhookVerifier,
  WebhookVerifierOptions,
} from "./webhooks.js";
