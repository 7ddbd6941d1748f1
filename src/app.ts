import { cors } from "hono/cors";
import type { Services } from "./services.ts";
import { createRouter } from "./lib/router.ts";
import { requestId } from "./middleware/request-id.ts";
import { accessLog } from "./middleware/access-log.ts";
import { jsonBodies } from "./middleware/body.ts";
import { notFound, onError } from "./middleware/problems.ts";
import { registerHealth } from "./routes/health.ts";
import { registerReady } from "./routes/ready.ts";
import { registerMeta } from "./routes/meta.ts";
import { registerDocs } from "./routes/docs.ts";

/** The one app factory: every runtime and every test builds the app here. */
export function createApp(services: Services) {
  const app = createRouter();
  app.use(requestId());
  app.use(async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use(accessLog());
  if (services.config.corsOrigins.length) {
    const list = services.config.corsOrigins;
    app.use(
      cors({
        origin: list.includes("*") ? "*" : list,
        allowHeaders: ["Authorization", "Content-Type", "X-API-Key", "Idempotency-Key", "If-None-Match", "X-Request-Id"],
        exposeHeaders: ["X-Request-Id", "ETag", "Retry-After", "RateLimit", "RateLimit-Policy", "Idempotency-Replayed", "Location"],
        maxAge: 600,
      }),
    );
  }
  app.use(jsonBodies());

  registerHealth(app);
  registerReady(app);
  registerMeta(app);
  registerDocs(app);

  app.notFound(notFound(app));
  app.onError(onError);
  return app;
}

export type AirlockApp = ReturnType<typeof createApp>;
