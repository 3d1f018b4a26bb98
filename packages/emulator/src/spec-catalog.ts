/**
 * Discovers the normalized OpenAPI specs and extracts what the emulator serves from them:
 * endpoint identity, providers, operations and their routes, and the Input schema's features.
 * A new spec file in the directory is served with no emulator code.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { type AuthScheme, ConfigError, type ProviderName, PROVIDERS } from "./config.js";

export type JsonObject = { [key: string]: unknown };

/** The operations of the queue protocol, by the operationId the normalized specs give them. */
export const OPERATION_IDS = ["submit", "getStatus", "streamStatus", "getResult", "cancel"] as const;
export type OperationId = (typeof OPERATION_IDS)[number];

export interface ParameterSpec {
  readonly name: string;
  readonly in: "query" | "header" | "path" | "cookie";
  readonly required: boolean;
  readonly schema: JsonObject;
}

export interface OperationSpec {
  readonly operationId: OperationId;
  readonly method: string;
  /** The OpenAPI path template, e.g. `/fal-ai/flux-lora/requests/{request_id}`. */
  readonly path: string;
  readonly parameters: readonly ParameterSpec[];
}

export interface ProviderServer {
  readonly provider: ProviderName;
  readonly auth: AuthScheme;
  readonly url: string;
}

/** What the Input schema offers, which decides how results are made. */
export interface InputFeatures {
  readonly imageSize: boolean;
  /** The spec's default for image_size (a preset or an explicit size), if it states one. */
  readonly imageSizeDefault: unknown;
  /** What an explicit size's missing side defaults to (fal's ImageSize: 512 each). */
  readonly imageSizeSides: { readonly width: number; readonly height: number };
  readonly imageUrl: boolean;
  readonly outputFormatDefault: string;
  readonly numImagesDefault: number;
}

export interface EndpointSpec {
  /** e.g. `fal-ai/flux-lora/image-to-image` */
  readonly id: string;
  /** Owner/app the follow-up routes live under, e.g. `fal-ai/flux-lora`. */
  readonly app: string;
  readonly packageName: string;
  readonly file: string;
  readonly document: JsonObject;
  readonly providers: readonly ProviderServer[];
  readonly operations: readonly OperationSpec[];
  readonly submit: OperationSpec;
  readonly features: InputFeatures;
}

/** `specs/normalized` of the repository: the package sits at packages/emulator, this file one level below. */
/**
 * In the monorepo, the repo's own specs/normalized (always current). In a published install,
 * the copy the build bundled into the package (`specs/`).
 */
export function defaultSpecsDir(): string {
  const inRepo = fileURLToPath(new URL("../../../specs/normalized/", import.meta.url));
  if (existsSync(inRepo)) return inRepo;
  return fileURLToPath(new URL("../specs/", import.meta.url));
}

export function loadSpecCatalog(dir: string = defaultSpecsDir()): EndpointSpec[] {
  const absolute = resolve(dir);
  if (!existsSync(absolute) || !statSync(absolute).isDirectory()) {
    throw new ConfigError("specs", `Spec directory ${absolute} does not exist: pass the directory of normalized specs (--specs <dir>).`);
  }
  const files = readdirSync(absolute)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  if (files.length === 0) {
    throw new ConfigError("specs", `Spec directory ${absolute} holds no .yaml files: expected normalized OpenAPI specs.`);
  }
  const endpoints = files.map((f) => readEndpoint(join(absolute, f)));
  const seen = new Map<string, string>();
  for (const e of endpoints) {
    const other = seen.get(e.submit.path);
    if (other !== undefined) throw new ConfigError("specs", `${e.file} and ${other} both declare the submit path ${e.submit.path}.`);
    seen.set(e.submit.path, e.file);
  }
  return endpoints;
}

function readEndpoint(file: string): EndpointSpec {
  const fail = (what: string): never => {
    throw new ConfigError("specs", `${file}: ${what}`);
  };
  let document: unknown;
  try {
    document = parse(readFileSync(file, "utf8"));
  } catch (error) {
    return fail(`not valid YAML (${(error as Error).message}).`);
  }
  if (!isObject(document)) return fail("expected an OpenAPI document.");
  const info = isObject(document.info) ? document.info : {};
  const meta = isObject(info["x-fluxkit-endpoint"]) ? info["x-fluxkit-endpoint"] : fail("info.x-fluxkit-endpoint is missing.");
  const id = typeof meta.id === "string" ? meta.id : fail("x-fluxkit-endpoint.id is missing.");
  const app = typeof meta.app === "string" ? meta.app : fail("x-fluxkit-endpoint.app is missing.");
  const packageName = typeof meta.package === "string" ? meta.package : "";

  const providers: ProviderServer[] = [];
  for (const server of Array.isArray(document.servers) ? document.servers : []) {
    if (!isObject(server)) continue;
    const provider = server["x-fluxkit-provider"];
    const auth = server["x-fluxkit-auth"];
    if (typeof provider === "string" && (PROVIDERS as readonly string[]).includes(provider) && (auth === "bearer" || auth === "key")) {
      providers.push({ provider: provider as ProviderName, auth, url: String(server.url) });
    }
  }

  const operations: OperationSpec[] = [];
  const paths = isObject(document.paths) ? document.paths : fail("paths are missing.");
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObject(op) || !(OPERATION_IDS as readonly string[]).includes(String(op.operationId))) continue;
      const parameters = (Array.isArray(op.parameters) ? op.parameters : [])
        .map((p) => resolveRef(document as JsonObject, p))
        .filter(isObject)
        .map(
          (p): ParameterSpec => ({
            name: String(p.name),
            in: p.in as ParameterSpec["in"],
            required: p.required === true,
            schema: isObject(p.schema) ? p.schema : {},
          }),
        );
      operations.push({ operationId: op.operationId as OperationId, method: method.toUpperCase(), path, parameters });
    }
  }
  const submit = operations.find((o) => o.operationId === "submit") ?? fail("no operation with operationId submit.");
  const input = resolveRef(document, { $ref: "#/components/schemas/Input" });
  if (!isObject(input)) fail("components.schemas.Input is missing.");
  return { id, app, packageName, file, document, providers, operations, submit, features: inputFeatures(document, input as JsonObject) };
}

function inputFeatures(document: JsonObject, input: JsonObject): InputFeatures {
  const props = isObject(input.properties) ? input.properties : {};
  const prop = (name: string): JsonObject | undefined => {
    const p = resolveRef(document, props[name]);
    return isObject(p) ? p : undefined;
  };
  const imageSize = prop("image_size");
  const outputFormat = prop("output_format");
  const numImages = prop("num_images");
  return {
    imageSize: imageSize !== undefined,
    imageSizeDefault: imageSize?.default,
    imageSizeSides: explicitSizeDefaults(document, imageSize),
    imageUrl: prop("image_url") !== undefined,
    outputFormatDefault: typeof outputFormat?.default === "string" ? outputFormat.default : "jpeg",
    numImagesDefault: typeof numImages?.default === "number" ? numImages.default : 1,
  };
}

/** fal's ImageSize gives each side a default of 512 (@fal-ai/client's ImageSize: width?/height?, `Default value: 512`). */
const SIDE_DEFAULT = 512;

/** The defaults of width and height in the object variant of image_size, where the spec states them. */
function explicitSizeDefaults(document: JsonObject, imageSize: JsonObject | undefined): { width: number; height: number } {
  const variants = Array.isArray(imageSize?.anyOf) ? imageSize.anyOf : Array.isArray(imageSize?.oneOf) ? imageSize.oneOf : [imageSize];
  for (const variant of variants) {
    const schema = resolveRef(document, variant);
    if (!isObject(schema) || !isObject(schema.properties)) continue;
    const side = (name: string) => {
      const prop = resolveRef(document, (schema.properties as JsonObject)[name]);
      return isObject(prop) && typeof prop.default === "number" ? prop.default : SIDE_DEFAULT;
    };
    return { width: side("width"), height: side("height") };
  }
  return { width: SIDE_DEFAULT, height: SIDE_DEFAULT };
}

/** Follows a local `#/...` reference (one level is all the normalized specs use for parameters). */
export function resolveRef(document: JsonObject, value: unknown): unknown {
  if (!isObject(value) || typeof value.$ref !== "string" || !value.$ref.startsWith("#/")) return value;
  let node: unknown = document;
  for (const part of value.$ref.slice(2).split("/")) {
    node = isObject(node) ? node[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
  }
  return resolveRef(document, node);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
