import { env } from "cloudflare:test";
import { inject } from "vitest";
import { rateLimitSuite } from "../shared/rate-limit.suite.ts";
import { createApp } from "../../src/app.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";

// The Worker's own services (real D1), built from the test's bindings plus the settings under
// test; Redis is reached over HTTP from inside workerd, exactly as Upstash would be.
rateLimitSuite({
  runtime: "workerd",
  async app(settings, extend) {
    const built = await servicesFor({ ...(env as unknown as WorkerEnv), ...settings });
    const services = { ...built.services, logger: new MemoryLogger() };
    const app = createApp(services);
    extend?.(app);
    return { app, services };
  },
  upstash: inject("rateLimitUpstash"),
  downUpstash: inject("rateLimitDownUpstash"),
  hangingUrl: inject("rateLimitHangingUrl"),
});
