import { env } from "cloudflare:test";
import { requestsApplySuite } from "../shared/requests-apply.suite.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import { loadConfig } from "../../src/config.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";

// The same statements on D1: one database, both roles (ids never collide).
requestsApplySuite({
  runtime: "workerd",
  async services(role) {
    const base = (await servicesFor(env as unknown as WorkerEnv)).services;
    const config = loadConfig({
      ...(env as Record<string, unknown>),
      NETWORK_ROLE: role,
      AIRLOCK_NETWORK_ID: `airlock-${role}`,
      AIRLOCK_PEER_NETWORK_ID: role === "request" ? "airlock-response" : "airlock-request",
    });
    return { ...base, config, logger: new MemoryLogger() };
  },
});
