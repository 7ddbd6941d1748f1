import { defineConfig } from "vitest/config";

// Node suite: the app factory on a real libSQL file, real Redis, real HTTP servers.
export default defineConfig({
  test: {
    include: ["test/node/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // `npm run coverage`: V8 coverage of src/ by the Node suite (code run in child processes, workerd or Deno is not counted).
    coverage: { provider: "v8", include: ["src/**/*.ts"], reporter: ["text-summary", "text", "json-summary"], reportsDirectory: "coverage" },
  },
});
