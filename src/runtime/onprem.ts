// Node and Deno share everything but the HTTP server: both have node:fs and libSQL.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Context } from "hono";
import type { Config } from "../config.ts";
import type { RuntimeAdapter, Services } from "../services.ts";
import { libsqlDatabase } from "../deps/db/libsql.ts";
import type { Migration } from "../deps/db/migrate.ts";
import { createCache } from "../deps/cache/create.ts";
import { FsBatchStore } from "../deps/batch-store/fs.ts";
import { systemClock, type Clock } from "../deps/clock.ts";
import { consoleLogger, type Logger } from "../deps/logger.ts";
import { AccessTokens } from "../identity/access-token.ts";
import { createRateLimiter } from "../deps/ratelimit/create.ts";
import { bootstrapAdmin, type GeneratedAdmin } from "../identity/bootstrap.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Files read at run time: the repository's by default; a release's entry point points them into the unpacked release. */
export const onPremFiles = { migrations: join(ROOT, "migrations"), docsAssets: join(ROOT, "node_modules", "swagger-ui-dist") };

/** The SQL files wrangler applies on D1, read from disk for libSQL. */
export async function readMigrations(dir = onPremFiles.migrations): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name), "utf8") })));
}

const DOCS_FILES: Record<string, string> = {
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "swagger-ui.css": "text/css; charset=utf-8",
};

/** The enclave has no internet: the docs' static files come from node_modules. */
export function onPremRuntime(name: "node" | "deno", clientIp: (c: Context) => string | undefined): RuntimeAdapter {
  return {
    name,
    clientIp,
    docsAssetBase: "/docs/assets",
    async docsAsset(file) {
      const type = DOCS_FILES[file];
      if (!type) return null;
      const body = await readFile(join(onPremFiles.docsAssets, file));
      return new Response(body, { headers: { "content-type": type, "cache-control": "public, max-age=86400" } });
    },
  };
}

export interface OnPremOptions {
  runtime: RuntimeAdapter;
  clock?: Clock;
  logger?: Logger;
}

/** Builds the services from settings: libSQL file (folder created, migrations applied), cache, batch folder. */
export async function buildOnPremServices(config: Config, opts: OnPremOptions): Promise<Services> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? consoleLogger(config.logLevel, { role: config.role, network_id: config.networkId });
  if (config.databaseUrl.startsWith("file:")) {
    // libSQL does not create a database file's parent folder.
    await mkdir(dirname(config.databaseUrl.slice("file:".length)), { recursive: true });
  }
  const db = await libsqlDatabase({ url: config.databaseUrl, authToken: config.databaseAuthToken, migrations: await readMigrations() });
  const cache = createCache(config, clock);
  const batches = new FsBatchStore(config.batchDir);
  const limiter = createRateLimiter(config, clock);
  return { config, db, cache, batches, clock, logger, runtime: opts.runtime, tokens: await AccessTokens.create(config), limiter };
}

/** Local development: a generated admin password is printed once and kept (mode 0600) under the data folder. */
export async function bootstrapOnPrem(s: Services): Promise<void> {
  const file = join(s.config.dataDir, "bootstrap-admin.json");
  const outcome = await bootstrapAdmin(s, async (creds: GeneratedAdmin) => {
    await mkdir(s.config.dataDir, { recursive: true });
    await writeFile(file, JSON.stringify(creds, null, 2) + "\n", { mode: 0o600 });
    console.log(`\nBootstrap admin created (shown once; also kept in ${file}):\n  email:    ${creds.email}\n  password: ${creds.password}\n`);
  });
  s.logger.log("info", "bootstrap admin", { outcome });
}
