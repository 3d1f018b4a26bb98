/**
 * The type of the spec data `pnpm generate` writes into ./generated/specs.ts
 * (scripts/src/generate/endpoint-spec-data.ts): what one endpoint's normalized spec says about
 * its queue API, so that a consumer (the emulator) reads no YAML at run time.
 */

/** A JSON Schema (OpenAPI 3.1 dialect) as a plain object. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The operations of fal's queue protocol, by the operationId the normalized specs give them. */
export type QueueOperationId = "submit" | "getStatus" | "streamStatus" | "getResult" | "cancel";

export interface SpecParameter {
  readonly name: string;
  readonly in: "query" | "header" | "path" | "cookie";
  readonly required: boolean;
  /** The parameter's schema; it holds no `$ref`, so it compiles on its own. */
  readonly schema: JsonSchema;
}

export interface SpecOperation {
  readonly operationId: QueueOperationId;
  /** Upper case, e.g. `POST`. */
  readonly method: string;
  /** The OpenAPI path template, e.g. `/fal-ai/flux-lora/requests/{request_id}`. */
  readonly path: string;
  /** Its parameters, references to components.parameters resolved (the queue's come from specs/queue.yaml). */
  readonly parameters: readonly SpecParameter[];
}

export interface SpecServer {
  /** A provider of specs/providers.yaml, e.g. `fal`. */
  readonly provider: string;
  readonly auth: "bearer" | "key";
  readonly url: string;
}

/** What the Input schema offers, which decides how results are made. */
export interface InputFeatures {
  readonly imageSize: boolean;
  /** The spec's default for image_size (a preset or an explicit size), if it states one. */
  readonly imageSizeDefault?: unknown;
  /** What an explicit size's missing side defaults to (fal's ImageSize: 512 each). */
  readonly imageSizeSides: { readonly width: number; readonly height: number };
  readonly imageUrl: boolean;
  readonly outputFormatDefault: string;
  readonly numImagesDefault: number;
  /** The defaults the Input's own properties state, by property name. */
  readonly defaults: { readonly [property: string]: unknown };
}

/**
 * What one endpoint's normalized spec says about its queue API: its `id` (e.g.
 * `fal-ai/flux-lora/image-to-image`), the owner/`app` its follow-up routes live under
 * (`fal-ai/flux-lora`), its `packageName`, the `specFile` it was generated from (repo-relative,
 * e.g. `specs/normalized/flux-lora.yaml`), the provider `servers`, the queue `operations`, the
 * spec's component `schemas` (their references point at `#/components/schemas/<name>`) and the
 * `inputFeatures`.
 */
export interface EndpointSpecData {
  readonly id: string;
  readonly app: string;
  readonly servers: readonly SpecServer[];
  readonly operations: readonly SpecOperation[];
  readonly schemas: { readonly [name: string]: JsonSchema };
  readonly inputFeatures: InputFeatures;
  readonly packageName: string;
  readonly specFile: string;
}
