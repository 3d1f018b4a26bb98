/** The rules every vendor source goes through, in order. */
import type { JsonObject } from "../../json.js";
import { apifoxNoise } from "./apifox-noise.js";
import { openapi31 } from "./openapi-31.js";
import { operationIds, requiredRequestBody } from "./operations.js";
import { proseConstraints } from "./prose-constraints.js";
import { queueProtocol } from "./queue-protocol.js";
import { security } from "./security.js";
import { serverUrls } from "./server-urls.js";
import type { Rule } from "./types.js";

export function defaultRules(protocol: JsonObject): Rule[] {
  return [serverUrls, apifoxNoise, openapi31, proseConstraints, requiredRequestBody, queueProtocol(protocol), operationIds, security];
}

export type { Rule, RuleContext } from "./types.js";
export { RuleError } from "./types.js";
