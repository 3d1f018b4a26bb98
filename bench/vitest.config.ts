import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The quick bench starts emulators and builds bundles: seconds, not milliseconds.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
