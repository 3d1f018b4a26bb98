import { defineConfig } from "vitest/config";

// Packing and type-resolution checks spawn tools; under a parallel CI run they take seconds.
export default defineConfig({ test: { include: ["test/**/*.test.ts"], testTimeout: 120_000 } });
