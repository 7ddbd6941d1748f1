import { env } from "cloudflare:test";
import { foundationSuite } from "../shared/foundation.suite.ts";
import { createApp } from "../../src/app.ts";
import { servicesFor, type WorkerEnv } from "../../src/runtime/worker.ts";
import { MemoryLogger } from "../../src/deps/logger.ts";

foundationSuite({
  runtime: "workerd",
  async app(extend) {
    // The Worker's own services (real D1 and R2 bindings), with logs kept in memory to assert on.
    const services = { ...(await servicesFor(env as unknown as WorkerEnv)).services, logger: new MemoryLogger() };
    const app = createApp(services);
    extend?.(app);
    return { app, services };
  },
});
