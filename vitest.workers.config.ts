import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { generateNetworkKeys, transferSettings } from "./src/transfer/batch/network-keys.ts";

// The workerd suite: the real Worker entry, real D1 (miniflare) with the real migrations applied.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  // Batch keys for this run: the Worker (request network) gets its own private keys and the
  // master's public keys; test/workers/request-answer-loop.global-setup.ts starts the master with the other halves.
  const keys = { request: await generateNetworkKeys(), response: await generateNetworkKeys() };
  process.env.AIRLOCK_TEST_KEYS = JSON.stringify(keys);
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            AIRLOCK_COURIER_TOKEN: "test-courier-token-0123456789abcdef0123",
            AIRLOCK_METRICS_TOKEN: "test-metrics-token-0123456789abcdef0123",
            AIRLOCK_MAX_BODY_BYTES: "4096",
            AIRLOCK_JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
            ...transferSettings(keys.request, keys.response),
          },
        },
      }),
    ],
    test: {
      include: ["test/workers/**/*.test.ts"],
      setupFiles: ["./test/workers/apply-migrations.ts"],
      // Node side: real Redis behind the Upstash-compatible endpoint, handed to the tests with inject().
      // And a master (response network) on Node for the end-to-end test, and a webhook receiver.
      globalSetup: [
        "./test/workers/rate-limit.global-setup.ts",
        "./test/workers/requests.global-setup.ts",
        "./test/workers/request-answer-loop.global-setup.ts",
        "./test/workers/webhooks.global-setup.ts",
      ],
      testTimeout: 30_000,
    },
  };
});
