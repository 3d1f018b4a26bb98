/**
 * From a normalized spec to the data @fluxkit/endpoints ships about its queue API
 * (`@fluxkit/endpoints/specs`, typed by packages/endpoints/src/endpoint-spec.ts): servers, queue operations with their
 * resolved parameters, component schemas and Input features. The emulator serves from it, so a
 * new spec is served after `pnpm generate` with no emulator code and no YAML read at run time.
 */
import { isObject, type Json, type JsonObject } from "../json.js";
import type { NormalizedEndpoint } from "../normalize/normalize.js";

/** The operations of fal's queue protocol, by the operationId the normalized specs give them. */
const QUEUE_OPERATION_IDS = new Set(["submit", "getStatus", "streamStatus", "getResult", "cancel"]);
const PARAMETER_LOCATIONS = new Set(["query", "header", "path", "cookie"]);

/** fal's ImageSize gives each side a default of 512 (@fal-ai/client's ImageSize: width?/height?, `Default value: 512`). */
const SIDE_DEFAULT = 512;

export function endpointSpecData(e: NormalizedEndpoint): JsonObject {
  const fail = (what: string): never => {
    throw new Error(`${e.path}: ${what}`);
  };
  const doc = e.doc;
  const servers: JsonObject[] = [];
  for (const server of Array.isArray(doc.servers) ? doc.servers : []) {
    if (!isObject(server)) continue;
    const provider = server["x-fluxkit-provider"];
    const auth = server["x-fluxkit-auth"];
    if (typeof provider === "string" && (auth === "bearer" || auth === "key")) servers.push({ provider, auth, url: String(server.url) });
  }

  const operations: JsonObject[] = [];
  const paths = isObject(doc.paths) ? doc.paths : fail("paths are missing.");
  for (const [path, item] of Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isObject(item)) continue;
    for (const [method, op] of Object.entries(item)) {
      if (!isObject(op) || !QUEUE_OPERATION_IDS.has(String(op.operationId))) continue;
      const parameters = (Array.isArray(op.parameters) ? op.parameters : []).map((p): JsonObject => {
        const parameter = resolveRef(doc, p);
        if (!isObject(parameter) || typeof parameter.name !== "string" || !PARAMETER_LOCATIONS.has(String(parameter.in))) {
          return fail(`${method.toUpperCase()} ${path}: a parameter without a name or a known location (${JSON.stringify(p)}).`);
        }
        const schema = isObject(parameter.schema) ? parameter.schema : {};
        if (JSON.stringify(schema).includes('"$ref"')) fail(`${method.toUpperCase()} ${path}: parameter ${parameter.name} has a $ref in its schema.`);
        return { name: parameter.name, in: parameter.in as string, required: parameter.required === true, schema };
      });
      operations.push({ operationId: String(op.operationId), method: method.toUpperCase(), path, parameters });
    }
  }
  if (!operations.some((o) => o.operationId === "submit")) fail("no operation with operationId submit.");

  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : fail("components.schemas is missing.");
  const input = isObject(schemas.Input) ? schemas.Input : fail("components.schemas.Input is missing.");
  return {
    id: e.names.id,
    app: e.names.app,
    packageName: e.names.packageName,
    specFile: e.path,
    servers,
    operations,
    schemas,
    inputFeatures: inputFeatures(doc, input),
  };
}

function inputFeatures(doc: JsonObject, input: JsonObject): JsonObject {
  const props = isObject(input.properties) ? input.properties : {};
  const prop = (name: string): JsonObject | undefined => {
    const p = resolveRef(doc, props[name] ?? null);
    return isObject(p) ? p : undefined;
  };
  const imageSize = prop("image_size");
  const outputFormat = prop("output_format");
  const numImages = prop("num_images");
  const defaults: JsonObject = {};
  for (const name of Object.keys(props)) {
    const value = prop(name)?.default;
    if (value !== undefined) defaults[name] = value;
  }
  return {
    imageSize: imageSize !== undefined,
    ...(imageSize?.default === undefined ? {} : { imageSizeDefault: imageSize.default }),
    imageSizeSides: explicitSizeDefaults(doc, imageSize),
    imageUrl: prop("image_url") !== undefined,
    outputFormatDefault: typeof outputFormat?.default === "string" ? outputFormat.default : "jpeg",
    numImagesDefault: typeof numImages?.default === "number" ? numImages.default : 1,
    defaults,
  };
}

/** The defaults of width and height in the object variant of image_size, where the spec states them. */
function explicitSizeDefaults(doc: JsonObject, imageSize: JsonObject | undefined): JsonObject {
  const variants = Array.isArray(imageSize?.anyOf) ? imageSize.anyOf : Array.isArray(imageSize?.oneOf) ? imageSize.oneOf : [imageSize ?? null];
  for (const variant of variants) {
    const schema = resolveRef(doc, variant);
    if (!isObject(schema) || !isObject(schema.properties)) continue;
    const properties = schema.properties;
    const side = (name: string): number => {
      const p = resolveRef(doc, properties[name] ?? null);
      return isObject(p) && typeof p.default === "number" ? p.default : SIDE_DEFAULT;
    };
    return { width: side("width"), height: side("height") };
  }
  return { width: SIDE_DEFAULT, height: SIDE_DEFAULT };
}

/** Follows a local `#/...` reference to what it names (through further references). */
function resolveRef(doc: JsonObject, value: Json): Json {
  if (!isObject(value) || typeof value.$ref !== "string" || !value.$ref.startsWith("#/")) return value;
  let node: Json = doc;
  for (const part of value.$ref.slice(2).split("/")) {
    node = isObject(node) ? (node[part.replace(/~1/g, "/").replace(/~0/g, "~")] ?? null) : null;
  }
  return resolveRef(doc, node);
}
