/** Lookups over the provider table (src/generated/providers.ts, from specs/providers.yaml). */
import { type ProviderName, providerPresets } from "./generated/providers.js";

export { providerPresets, type ProviderName };

/** Every provider name, in the order specs/providers.yaml lists them. */
export const providerNames = Object.keys(providerPresets) as ProviderName[];

export function isProviderName(name: unknown): name is ProviderName {
  return typeof name === "string" && Object.hasOwn(providerPresets, name);
}
