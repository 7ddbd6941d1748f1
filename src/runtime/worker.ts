// Cloudflare Workers entry: `fetch` serves the app, `scheduled` runs the job table.
import { ConfigError, loadConfig } from "../config.ts";
import { createApp, type AirlockApp } from "../app.ts";
import type { RuntimeAdapter, Services } from "../services.ts";
import { d1Database } from "../deps/db/d1.ts";
import { createCache } from "../deps/cache/create.ts";
import { R2BatchStore } from "../deps/batch-store/r2.ts";
import { systemClock } from "../deps/clock.ts";
import { consoleLogger } from "../deps/logger.ts";
import { AccessTokens } from "../identity/access-token.ts";
import { createRateLimiter } from "../deps/ratelimit/create.ts";
import { bootstrapAdmin } from "../identity/bootstrap.ts";
import { problemResponse } from "../errors.ts";
import { jobsFor } from "../jobs/table.ts";
import { runScheduled } from "../jobs/runner.ts";

export interface WorkerEnv {
  DB: D1Database;
  BATCHES: R2Bucket;
  [setting: string]: unknown;
}

const workerRuntime: RuntimeAdapter = {
  name: "workerd",
  clientIp: (c) => c.req.header("cf-connecting-ip") ?? undefined, // set by Cloudflare, not the client
  // Workers face the internet, so the docs' static files come from the CDN.
  docsAssetBase: "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5",
};

/** Services are built once per isolate (per env object) and reused across requests. */
const built = new WeakMap<object, Promise<{ services: Services; app: AirlockApp }>>();

export function servicesFor(env: WorkerEnv): Promise<{ services: Services; app: AirlockApp }> {
  let entry = built.get(env);
  if (!entry) {
    entry = build(env);
    built.set(env, entry);
    entry.catch(() => built.delete(env)); // a bad configuration is reported on every request until fixed
  }
  return entry;
}

async function build(env: WorkerEnv): Promise<{ services: Services; app: AirlockApp }> {
  const config = loadConfig(env);
  const logger = consoleLogger(config.logLevel, { role: config.role, network_id: config.networkId });
  const services: Services = {
    config,
    db: d1Database(env.DB),
    // Without Upstash settings the cache lives in the isolate: fine for development, not shared across isolates.
    cache: createCache(config, systemClock, logger),
    batches: new R2BatchStore(env.BATCHES),
    clock: systemClock,
    logger,
    runtime: workerRuntime,
    tokens: await AccessTokens.create(config),
    // Without Upstash settings, limits are per isolate: fine for development, not across isolates.
    limiter: createRateLimiter(config, systemClock, logger),
  };
  await bootstrapAdmin(services); // response network on Workers: from AIRLOCK_ADMIN_* only
  return { services, app: createApp(services) };
}

export default {
  async fetch(req: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    try {
      return await (await servicesFor(env)).app.fetch(req, env, ctx);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      // No way to refuse to start on Workers: answer every request with the reason (setting names only, never values).
      console.error(JSON.stringify({ level: "error", msg: "invalid configuration", problems: e.problems }));
      return problemResponse("not_ready", crypto.randomUUID(), new URL(req.url).pathname, { detail: e.message });
    }
  },

  async scheduled(controller: ScheduledController, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const { services } = await servicesFor(env);
    ctx.waitUntil(
      runScheduled(jobsFor(services.config.role), controller.cron, services, {
        logger: services.logger,
        scheduledAt: new Date(controller.scheduledTime),
      }),
    );
  },
} satisfies ExportedHandler<WorkerEnv>;
