import { defineConfig } from "vitest/config";

// Some suites spawn processes or start servers; on a loaded 2-core CI machine that takes
// seconds, so no test relies on vitest's 5 s default.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
