// The requests suites' harness inside workerd: the Worker's own services (real D1) rebuilt with
// the settings under test, the cache on real Redis reached over HTTP exactly as Upstash would be.
// The Redis servers come from the global setups (rate-limit.global-setup.ts for the shared one,
// requests.global-setup.ts for the private one this harness stops and starts).
import { env } from "cloudflare:test";
import { afterAll, inject } from "vitest";
import type { RequestsHarness } from "../shared/requests-harness.ts";
import { createApp } from "../../src/app.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";

/** Registers this file's cleanup of its networks' keys and returns the harness. */
export function workerRequestsHarness(): RequestsHarness {
  const shared = inject("rateLimitUpstash");
  const priv = inject("requestsPrivateUpstash");

  const networkIds: string[] = [];
  afterAll(() => control("cleanup", JSON.stringify(networkIds)));

  async function control(action: "stop" | "start" | "cleanup", body?: string) {
    const res = await fetch(`${priv.control}/${action}`, { method: "POST", body });
    const text = await res.text();
    if (!res.ok) throw new Error(`redis ${action}: ${res.status} ${text}`);
  }

  return {
    runtime: "workerd",
    async network(role, settings = {}) {
      const networkId = `airlock-${role}-${crypto.randomUUID().slice(0, 8)}`;
      networkIds.push(networkId);
      const built = await servicesFor({
        ...(env as unknown as WorkerEnv),
        NETWORK_ROLE: role,
        AIRLOCK_NETWORK_ID: networkId,
        AIRLOCK_PEER_NETWORK_ID: role === "request" ? "airlock-response" : "airlock-request",
        UPSTASH_REDIS_REST_URL: shared.url,
        UPSTASH_REDIS_REST_TOKEN: shared.token,
        // Generous bounds for a cold test process; the 200 ms default is exercised by the hanging-Redis test.
        AIRLOCK_CACHE_TIMEOUT_MS: "2000",
        AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "2000",
        ...settings,
      });
      const services = { ...built.services, logger: new MemoryLogger() };
      return { app: createApp(services), services };
    },
    upstash: shared,
    hangingUrl: inject("rateLimitHangingUrl"),
    privateRedis: { upstash: { url: priv.url, token: priv.token }, stop: () => control("stop"), start: () => control("start") },
  };
}
