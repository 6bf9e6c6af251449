import { defineConfig } from "vitest/config";

// .ci/run asks for a JSON report to print a one-line summary.
const report = process.env.AUTHFLOW_TEST_REPORT;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Interop tests start real third-party servers; keep the machine's two cores for them.
    maxWorkers: 2,
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
  },
});
