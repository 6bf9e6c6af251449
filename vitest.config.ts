import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Interop tests start real third-party servers; keep the machine's two cores for them.
    maxWorkers: 2,
  },
});
