// The services of a network on Node or Deno (they share everything but the HTTP server: both have
// node:fs and libSQL): a libSQL database, the batch store on disk, the docs' files from disk.
import { mkdir, writeFile } from "node:fs/promises";
import { resolveHost } from "./resolve-host.ts";
import { dirname, join } from "node:path";
import type { Context } from "hono";
import type { Config } from "../../config.ts";
import type { RuntimeAdapter, Services } from "../../services.ts";
import { createCache } from "../../deps/cache/create.ts";
import { systemClock, type Clock } from "../../deps/clock.ts";
import { consoleLogger, type Logger } from "../../deps/logger.ts";
import { AccessTokens } from "../../identity/access-token.ts";
import { createRateLimiter } from "../../deps/ratelimit/create.ts";
import { bootstrapAdmin, type GeneratedAdmin } from "../../identity/bootstrap.ts";
import { libsqlDatabase } from "./libsql.ts";
import { FsBatchStore } from "./batch-store.ts";
import { docsAsset, readMigrations } from "./files.ts";
import { bufferedLineWriter } from "./log-writer.ts";
import { onPremUpstashTransport } from "./upstash-http.ts";

/** Node and Deno differ only in how they learn the client's address; both serve the docs' files from disk. */
export function onPremRuntime(name: "node" | "deno", clientIp: (c: Context) => string | undefined): RuntimeAdapter {
  return { name, clientIp, docsAssetBase: "/docs/assets", docsAsset, resolveHost };
}

export interface OnPremOptions {
  runtime: RuntimeAdapter;
  clock?: Clock;
  logger?: Logger;
}

/** Builds the services from settings: libSQL file (folder created, migrations applied), cache, batch folder. */
export async function buildOnPremServices(config: Config, opts: OnPremOptions): Promise<Services> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? consoleLogger(config.logLevel, { role: config.role, network_id: config.networkId }, bufferedLineWriter());
  if (config.databaseUrl.startsWith("file:")) {
    // libSQL does not create a database file's parent folder.
    await mkdir(dirname(config.databaseUrl.slice("file:".length)), { recursive: true });
  }
  const db = await libsqlDatabase({ url: config.databaseUrl, authToken: config.databaseAuthToken, migrations: await readMigrations() });
  const upstash = config.upstash ? onPremUpstashTransport(opts.runtime.name === "deno" ? "deno" : "node") : undefined;
  const cache = createCache(config, clock, logger, upstash);
  const batches = new FsBatchStore(config.batchDir);
  const limiter = createRateLimiter(config, clock, logger, upstash);
  return { config, db, cache, batches, clock, logger, runtime: opts.runtime, tokens: await AccessTokens.create(config), limiter };
}

/** Local development: a generated admin password is printed once and kept (mode 0600) under the data folder. */
export async function bootstrapOnPrem(s: Services): Promise<void> {
  const file = join(s.config.dataDir, "bootstrap-admin.json");
  const outcome = await bootstrapAdmin(s, async (creds: GeneratedAdmin) => {
    await mkdir(s.config.dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
    console.log(`\nBootstrap admin created (shown once; also kept in ${file}):\n  email:    ${creds.email}\n  password: ${creds.password}\n`);
  });
  s.logger.log("info", "bootstrap admin", { outcome });
}
