import { env } from "cloudflare:test";
import type { Harness } from "../shared/harness.ts";
import { createApp } from "../../src/app.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";
import { loadConfig } from "../../src/config.ts";
import { AccessTokens } from "../../src/identity/access-token.ts";

/** The Worker's own services (real D1 and R2 bindings), logs kept in memory; `role` re-reads the config as the other network. */
export const workerHarness: Harness = {
  runtime: "workerd",
  async app(extend, opts) {
    const base = (await servicesFor(env as unknown as WorkerEnv)).services;
    let services = { ...base, logger: new MemoryLogger() };
    if (opts?.role && opts.role !== base.config.role) {
      const config = loadConfig({
        ...(env as Record<string, unknown>),
        NETWORK_ROLE: opts.role,
        AIRLOCK_NETWORK_ID: `airlock-${opts.role}`,
        AIRLOCK_PEER_NETWORK_ID: "airlock-request",
      });
      services = { ...services, config, tokens: await AccessTokens.create(config) };
    }
    const app = createApp(services);
    extend?.(app);
    return { app, services };
  },
};
