import { defineConfig } from "vitest/config";

// Node suite: the app factory on a real libSQL file, real Redis, real HTTP servers.
export default defineConfig({
  test: {
    include: ["test/node/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
