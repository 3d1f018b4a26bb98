import { defineConfig } from "vitest/config";

// The browser test starts Chromium, a server and the emulator; on a loaded 2-core CI machine
// that takes seconds, so nothing relies on vitest's 5 s default.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
