/** The generated package for a spec, through the generated catalog: no per-endpoint imports. */
import { findEndpointPackage, type EndpointPackage } from "@fluxkit/endpoints";
import type { SpecEndpoint } from "./spec-catalog.js";

export function packageFor(endpoint: SpecEndpoint): EndpointPackage {
  const pkg = findEndpointPackage(endpoint.slug);
  if (!pkg) throw new Error(`${endpoint.file} has no generated package in @fluxkit/endpoints: run \`pnpm generate && pnpm install\``);
  return pkg;
}
