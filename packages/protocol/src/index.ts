export {
  GENERIC_TOKEN_ENV,
  MissingTokenError,
  authSchemeLabel,
  authorizationValue,
  defaultEnv,
  findToken,
  missingTokenMessage,
  readEnv,
  requireToken,
  tokenVariables,
} from "./auth.js";
export type { Env } from "./auth.js";
export type { AnyEndpoint, EndpointDefinition, EndpointServer, InputIssue, InputOf, OutputOf } from "./endpoint.js";
export { falDetail } from "./fal-detail.js";
export type { FalDetailIssue } from "./fal-detail.js";
export { inputIssues, issuesFromFalDetail, validateInput } from "./input-issues.js";
export type { AuthScheme, ProviderPreset } from "./provider-preset.js";
export { isProviderName, providerNames, providerPresets } from "./providers.js";
export type { ProviderName } from "./providers.js";
export { followUpPaths, requestPath, submitPath } from "./routes.js";
export type { FollowUpPaths } from "./routes.js";
export { SUPPORTED_KEYWORDS, unsupportedKeywords, validateSchema } from "./schema-validator.js";
export type { Schema, SchemaError } from "./schema-validator.js";
export type { CompletedStatus, InProgressStatus, InQueueStatus, QueueLog, QueueStatus, QueueStatusName } from "./status.js";
export { serverConnection } from "./server-connection.js";
export type { ServerChoice, ServerConnection } from "./server-connection.js";
