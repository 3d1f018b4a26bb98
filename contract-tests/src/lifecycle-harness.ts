/**
 * The pieces the lifecycle and soak suites share: which (endpoint, provider) pairs exist (read
 * from the specs), the generated package of an endpoint, a queue client tuned for loopback
 * (tiny retry and polling delays), small inputs built from the spec, and the checks that a
 * result is real (schema-valid output, images that decode to the stated size and type).
 */
import { createEmulator, type Emulator, type EmulatorOptions } from "@fluxkit/emulator";
import { isProviderName, type ProviderName, providerNames } from "@fluxkit/protocol";
import { createQueueClient, type EndpointDefinition, type QueueClient, type QueueClientOptions } from "@fluxkit/queue";
import { gradientPngDataUri, imageBytes, readImageHeader } from "./image-bytes.js";
import { everyFieldInput, requiredOnlyInput } from "./sample-input.js";
import { specValidator, type SchemaValidator } from "./schema-validator.js";
import { isObject, schemas, type JsonObject, type SpecEndpoint } from "./spec-catalog.js";
import { packageFor } from "./endpoint-packages.js";

/** fal's Output of the FLUX endpoints (specs/overlays/flux-image-output.overlay.yaml); each result is also checked against the spec's own schema. */
export interface FluxOutput {
  readonly images: ReadonlyArray<{ readonly url: string; readonly width: number; readonly height: number; readonly content_type: string }>;
  readonly timings: Readonly<Record<string, number>>;
  readonly seed: number;
  readonly has_nsfw_concepts: readonly boolean[];
  readonly prompt: string;
}

export type FluxEndpoint = EndpointDefinition<JsonObject, FluxOutput>;

export interface LifecycleCase {
  readonly label: string;
  readonly endpoint: SpecEndpoint;
  readonly provider: ProviderName;
}

/** The providers a spec lists in `servers[].x-fluxkit-provider`. */
export function providerModes(endpoint: SpecEndpoint): ProviderName[] {
  const servers = Array.isArray(endpoint.doc.servers) ? endpoint.doc.servers : [];
  const named = servers.filter(isObject).map((s) => String(s["x-fluxkit-provider"]));
  const unknown = named.filter((p) => !isProviderName(p));
  if (unknown.length > 0)
    throw new Error(`${endpoint.file}: unknown x-fluxkit-provider ${unknown.join(", ")}; the emulator plays ${providerNames.join(", ")}.`);
  return named as ProviderName[];
}

/** Every endpoint × every provider mode its spec lists. */
export function lifecycleCases(endpoints: readonly SpecEndpoint[]): LifecycleCase[] {
  return endpoints.flatMap((endpoint) => providerModes(endpoint).map((provider) => ({ label: `${endpoint.slug} via ${provider}`, endpoint, provider })));
}

/** The generated package's endpoint definition, found by slug so a new spec needs no edit. */
export async function loadEndpointDefinition(endpoint: SpecEndpoint): Promise<FluxEndpoint> {
  return packageFor(endpoint).endpoint as unknown as FluxEndpoint;
}

/** Emulators started by a test file, all closed by `closeAll` (call it in afterEach). */
export function emulatorPool(): { start(options: EmulatorOptions): Promise<Emulator>; closeAll(): Promise<void> } {
  const open = new Set<Emulator>();
  return {
    async start(options) {
      const emulator = await createEmulator(options);
      open.add(emulator);
      return emulator;
    },
    async closeAll() {
      const all = [...open];
      open.clear();
      await Promise.all(all.map((e) => e.close()));
    },
  };
}

export const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 } as const;
export const FAST_POLLING = { initialIntervalMs: 2, maxIntervalMs: 20, factor: 1.5 } as const;

/**
 * A queue client on the emulator as a custom provider with the emulator's auth scheme. The
 * gateways answer with queue.fal.run URLs: the client rebases those (FAL_QUEUE_HOSTS) by
 * itself, so `allowForeignUrls` stays off, as it would against the real gateway.
 */
export function queueClientFor(emulator: Emulator, options: Partial<QueueClientOptions> = {}): QueueClient {
  return createQueueClient({
    provider: { baseUrl: emulator.url, auth: emulator.auth },
    token: "t",
    retry: FAST_RETRY,
    polling: FAST_POLLING,
    env: {},
    ...options,
  });
}

/** Small images keep encoding cheap: the input image of image-to-image, and explicit sizes. */
export const SMALL_SIZE = { width: 48, height: 32 } as const;
const SMALL_SOURCE = gradientPngDataUri(SMALL_SIZE.width, SMALL_SIZE.height);

/**
 * An input built from the spec (required fields only, or every field) with a distinct prompt,
 * made cheap to render: `image_url` becomes a small PNG data URI and `image_size` an explicit
 * small size, each only where the spec has the field and the endpoint's validator accepts it.
 */
export function jobInput(spec: SpecEndpoint, definition: FluxEndpoint, prompt: string, variant: "required" | "every" = "required"): JsonObject {
  const base = variant === "every" ? everyFieldInput(spec) : requiredOnlyInput(spec);
  const properties = (schemas(spec.doc).Input as JsonObject).properties;
  const has = (name: string) => isObject(properties) && name in properties;
  let input: JsonObject = { ...base, ...(has("prompt") ? { prompt } : {}) };
  const cheaper: JsonObject = {
    ...(has("image_url") ? { image_url: SMALL_SOURCE } : {}),
    ...(has("image_size") ? { image_size: { ...SMALL_SIZE } } : {}),
  };
  for (const [name, value] of Object.entries(cheaper)) {
    const candidate = { ...input, [name]: value };
    if (definition.validateInput(candidate).length === 0) input = candidate;
  }
  const issues = definition.validateInput(input);
  if (issues.length > 0) throw new Error(`${spec.slug}: the ${variant} sample input is invalid: ${JSON.stringify(issues)}`);
  return input;
}

export function hasInputField(spec: SpecEndpoint, name: string): boolean {
  const properties = (schemas(spec.doc).Input as JsonObject).properties;
  return isObject(properties) && name in properties;
}

const validators = new WeakMap<SpecEndpoint, SchemaValidator>();
/** Compiling a spec costs more than validating against it: once per spec. */
function outputValidator(spec: SpecEndpoint): SchemaValidator {
  let validator = validators.get(spec);
  if (validator === undefined) {
    validator = specValidator(spec.doc);
    validators.set(spec, validator);
  }
  return validator;
}

/**
 * Everything wrong with a result: Output schema violations (an independent Ajv over the spec),
 * images that do not decode, or whose type or size differs from what the output says.
 * Image URLs must be data URIs or files on the emulator itself (never another host).
 */
export async function resultProblems(spec: SpecEndpoint, emulator: Emulator, output: unknown): Promise<string[]> {
  const problems = outputValidator(spec)
    .errors("#/components/schemas/Output", output)
    .map((e) => `Output schema: ${e}`);
  if (problems.length > 0) return problems;
  const { images, has_nsfw_concepts: nsfw } = output as FluxOutput;
  if (images.length === 0) problems.push("no images");
  if (nsfw.length !== images.length) problems.push(`has_nsfw_concepts has ${nsfw.length} entries for ${images.length} images`);
  for (const [index, image] of images.entries()) {
    if (!image.url.startsWith("data:") && !image.url.startsWith(`${emulator.url}/files/`)) {
      problems.push(`images[${index}].url is neither a data URI nor an emulator file: ${image.url.slice(0, 80)}`);
      continue;
    }
    const { bytes } = await imageBytes(image.url);
    const header = readImageHeader(bytes);
    if (header === undefined) {
      problems.push(`images[${index}] does not decode as PNG or JPEG`);
      continue;
    }
    if (`image/${header.type}` !== image.content_type) problems.push(`images[${index}] is ${header.type}, content_type says ${image.content_type}`);
    if (header.width !== image.width || header.height !== image.height) {
      problems.push(`images[${index}] is ${header.width}x${header.height}, the output says ${image.width}x${image.height}`);
    }
  }
  return problems;
}

/** Waits for a condition the emulator reaches on its own; bounded by attempts, never a timed assertion. */
export async function until(condition: () => boolean, what: string, attempts = 2000): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`Never reached: ${what}.`);
}

/** A promise's outcome as a value, so a test can assert on an error's class and fields. */
export async function outcomeOf<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Consecutive duplicates removed: IN_PROGRESS with growing logs is one stage. */
export function stages(statuses: ReadonlyArray<{ readonly status: string }>): string[] {
  const out: string[] = [];
  for (const s of statuses) if (out[out.length - 1] !== s.status) out.push(s.status);
  return out;
}
