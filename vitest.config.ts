import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "tests/**/*.test.tsx"],
    testTimeout: 60_000,
    pool: "forks",
    // The suites' correlations: the insecure dealer is a fast test fixture; `npm test` reruns the
    // two-party suites under PQ_PROVIDER=enumerated, ot and he. The library's own default is OT.
    env: { PQ_PROVIDER: process.env.PQ_PROVIDER ?? "dealer" },
  },
});
