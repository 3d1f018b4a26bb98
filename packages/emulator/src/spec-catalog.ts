/**
 * The endpoints the emulator can serve, from the spec data `@fluxkit/endpoints/specs` carries
 * (written by `pnpm generate` from specs/normalized): identity, providers, operations and their
 * routes, schemas and the Input's features. A new spec is served after a regenerate, with no
 * emulator code, and no YAML is read at run time.
 */
import { type EndpointSpecData, endpointSpecs, type InputFeatures, type QueueOperationId, type SpecOperation } from "@fluxkit/endpoints/specs";
import { isProviderName } from "@fluxkit/protocol";
import { type AuthScheme, ConfigError, type ProviderName } from "./config.js";

export type JsonObject = { [key: string]: unknown };
export type { EndpointSpecData, InputFeatures };

/** The operations of the queue protocol, by the operationId the normalized specs give them. */
export type OperationId = QueueOperationId;
export type OperationSpec = SpecOperation;
export type ParameterSpec = SpecOperation["parameters"][number];

export interface ProviderServer {
  readonly provider: ProviderName;
  readonly auth: AuthScheme;
  readonly url: string;
}

/**
 * An endpoint as the emulator serves it: its spec data, with the submit operation picked out,
 * the servers of the providers it can play, and the schemas as an OpenAPI document, in which
 * `#/components/schemas/<name>` resolves.
 */
export interface EndpointSpec extends EndpointSpecData {
  readonly document: JsonObject;
  readonly providers: readonly ProviderServer[];
  readonly submit: OperationSpec;
}

/** The endpoints of `specs` (default: every one `@fluxkit/endpoints` has), checked to be servable together. */
export function loadSpecCatalog(specs: readonly EndpointSpecData[] = endpointSpecs): EndpointSpec[] {
  const endpoints = specs.map(toEndpointSpec);
  const seen = new Map<string, string>();
  for (const e of endpoints) {
    const other = seen.get(e.submit.path);
    if (other !== undefined) throw new ConfigError("specs", `${e.id} and ${other} both declare the submit path ${e.submit.path}: serve one of them.`);
    seen.set(e.submit.path, e.id);
  }
  return endpoints;
}

function toEndpointSpec(data: EndpointSpecData): EndpointSpec {
  const submit = data.operations.find((o) => o.operationId === "submit");
  if (submit === undefined) {
    throw new ConfigError("specs", `${data.id} (${data.specFile}) has no operation with operationId submit: fix the spec and run pnpm generate.`);
  }
  const providers = data.servers.filter((s): s is ProviderServer => isProviderName(s.provider));
  return { ...data, document: { components: { schemas: data.schemas } }, providers, submit };
}
