import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The quick bench starts emulators, builds bundles and soaks the queue: about a minute alone,
    // but `pnpm test` runs it beside every other suite on a shared 2-core box (measured > 300 s).
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
