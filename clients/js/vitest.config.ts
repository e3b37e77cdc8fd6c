import { defineConfig } from "vitest/config";

// Generous timeouts: CI machines are slow; the tests wait on events, never on fixed sleeps.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
