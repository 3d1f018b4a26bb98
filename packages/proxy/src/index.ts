export { createProxy } from "./handler.js";
export type { ProxyHandler } from "./handler.js";
export { DEFAULT_BASE_PATH, DEFAULT_MAX_BODY_BYTES, ProxyConfigError } from "./options.js";
export type { Authorize, ProxyOptions, RateLimit, RateLimitContext, RateLimitVerdict } from "./options.js";
export { createSubmitLimiter } from "./rate-limit.js";
export type { SubmitLimiterOptions } from "./rate-limit.js";
export type { RefusalReason } from "./refusal.js";
export type { QueueRoute } from "./routes.js";
