/**
 * The endpoints the CLI knows: every package in the generated catalog (@fluxkit/endpoints),
 * so a newly generated endpoint is a `flux run` target with no change here.
 */
import { endpointIdsBySlug, endpointPackages } from "@fluxkit/endpoints";
import type { AnyEndpoint } from "@fluxkit/protocol";
import { type FlagSpec, flagsFromSchema, type SchemaNode } from "./flags.js";
import { usageError } from "./exit-codes.js";

export interface RegisteredEndpoint {
  /** `fal-ai/flux-lora/image-to-image` */
  readonly id: string;
  /** `flux-lora-image-to-image`: the package name without its scope. */
  readonly slug: string;
  readonly packageName: string;
  readonly endpoint: AnyEndpoint;
  readonly flags: readonly FlagSpec[];
  /** Whether the input has an `image_url` field (so `--image` applies). */
  readonly takesImage: boolean;
}

function register(packageName: string, endpoint: AnyEndpoint, inputSchema: unknown): RegisteredEndpoint {
  const flags = flagsFromSchema(inputSchema as SchemaNode);
  return {
    id: endpoint.id,
    slug: packageName.replace(/^@fluxkit\//, ""),
    packageName,
    endpoint,
    flags,
    takesImage: flags.some((f) => f.field === "image_url"),
  };
}

// The generated endpoints carry their precise Input/Output types; the CLI only needs routing
// metadata and the validator, so each is used as AnyEndpoint here.
export const ENDPOINTS: readonly RegisteredEndpoint[] = Object.entries(endpointIdsBySlug).map(([slug, id]) =>
  register(`@fluxkit/${slug}`, endpointPackages[id].endpoint, endpointPackages[id].inputSchema),
);

export function endpointList(): string {
  return ENDPOINTS.map((e) => `${e.slug} (${e.id})`).join(", ");
}

/** By id (`fal-ai/flux-lora`) or slug (`flux-lora`); a usage error naming the known ones otherwise. */
export function findEndpoint(name: string | undefined, where: string): RegisteredEndpoint {
  if (name === undefined || name === "") {
    throw usageError(`${where}: which endpoint? Give one of ${endpointList()}. \`flux endpoints\` lists them.`);
  }
  const trimmed = name.replace(/^\/+|\/+$/g, "");
  const found = ENDPOINTS.find((e) => e.id === trimmed || e.slug === trimmed);
  if (found === undefined) {
    throw usageError(`${where}: unknown endpoint "${name}". Known: ${endpointList()}.`);
  }
  return found;
}
