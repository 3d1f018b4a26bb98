/**
 * The contract every generated endpoint package satisfies (and the queue, the proxy and the
 * CLI run on). Its input/output types flow through the `"~types"` carrier, a type-only
 * property never set at run time.
 */
import type { AuthScheme } from "./provider-preset.js";

/** One violation found by an endpoint's input validator (or mapped from a server 422). */
export interface InputIssue {
  /** Dotted path into the input, e.g. `"num_images"` or `"loras.0.scale"`; `""` for the root. */
  readonly path: string;
  readonly message: string;
  /** Which rule failed: `"required"`, `"minimum"`, `"enum"`, … (or the server's error type). */
  readonly keyword: string;
}

export interface EndpointServer {
  /** `"chainhub" | "kkiai" | "fal" | …` */
  readonly provider: string;
  readonly url: string;
  readonly auth: AuthScheme;
}

export interface EndpointDefinition<Input, Output> {
  /** `"fal-ai/flux-lora/image-to-image"` */
  readonly id: string;
  /** `"fal-ai/flux-lora"`: follow-up routes live under `/{app}/requests/{id}`. */
  readonly app: string;
  /** `"/fal-ai/flux-lora/image-to-image"` */
  readonly submitPath: string;
  readonly servers: readonly EndpointServer[];
  /** Every way `input` breaks the endpoint's Input schema; empty means valid. */
  readonly validateInput: (input: unknown) => readonly InputIssue[];
  /**
   * The field names of every object in the Input schema, by path pattern (`""` the input,
   * `"loras.*"` each LoRA, `"image_size"` its object form). When present, a field not listed is
   * refused with a "did you mean" hint unless `allowUnknownFields` is set.
   */
  readonly inputFields?: Readonly<Record<string, readonly string[]>>;
  readonly "~types"?: { readonly input: Input; readonly output: Output };
}

/** Any endpoint, whatever its types; used where only the routing metadata matters. */
export type AnyEndpoint = EndpointDefinition<unknown, unknown>;

export type InputOf<E> = E extends EndpointDefinition<infer Input, unknown> ? Input : never;
export type OutputOf<E> = E extends EndpointDefinition<unknown, infer Output> ? Output : never;
