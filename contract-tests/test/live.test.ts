/**
 * 4. Live mode: with FLUXKIT_LIVE_PROVIDER (chainhub|kkiai|fal) and that provider's token in
 * the environment, run one small real job per endpoint the provider serves and check every
 * response against the normalized spec; mismatches are reported as spec drift. Without them
 * the suite says loudly that it was skipped, and passes.
 */
import { type AnyEndpoint, createQueueClient, type ProviderName, providerPresets } from "@fluxkit/queue";
import { describe, expect, it } from "vitest";
import { findDrift, recordingFetch, type RecordedResponse } from "../src/drift.js";
import { packageFor } from "../src/endpoint-packages.js";
import { requiredOnlyInput } from "../src/sample-input.js";
import { loadEndpoints, type JsonObject } from "../src/spec-catalog.js";

const provider = process.env.FLUXKIT_LIVE_PROVIDER as ProviderName | undefined;
const preset = provider ? providerPresets[provider] : undefined;
const token = preset ? (process.env[preset.tokenEnv] ?? process.env.FLUXKIT_TOKEN) : undefined;
const live = Boolean(preset && token);

if (!live) {
  console.warn(
    "\n*** LIVE CONTRACT TESTS SKIPPED ***\n" +
      "Set FLUXKIT_LIVE_PROVIDER=chainhub|kkiai|fal and its token (CHAINHUB_TOKEN, KKIAI_TOKEN, FAL_KEY or FLUXKIT_TOKEN)\n" +
      "to run one real job per endpoint and check every response against the normalized spec.\n",
  );
}

// Without a provider every endpoint is listed, so the report shows each one as skipped.
const served = loadEndpoints().filter((e) => !provider || ((e.doc.servers as JsonObject[]) ?? []).some((s) => s["x-fluxkit-provider"] === provider));

describe.skipIf(!live)(`live provider ${provider ?? "(none)"}`, () => {
  it.each(served)(
    "$slug: a real job, every response matches the spec",
    async (endpoint) => {
      const responses: RecordedResponse[] = [];
      const client = createQueueClient({ provider: provider!, token, fetch: recordingFetch(responses) });
      const input = { ...requiredOnlyInput(endpoint), num_images: 1 };
      // Endpoints are discovered at run time, so their static types are erased here.
      const target: AnyEndpoint = packageFor(endpoint).endpoint;
      const { data } = await client.run(target, input, { timeout: 240_000, logs: true });
      expect(data).toBeDefined();
      const drift = findDrift(endpoint, responses);
      for (const d of drift) console.error(`spec drift: ${d.route}: ${d.field}: expected ${d.expected}, got ${d.got}`);
      expect(drift).toEqual([]);
    },
    300_000,
  );
});
