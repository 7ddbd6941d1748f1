import type { Context } from "hono";
import type { Config } from "./config.ts";
import type { Database } from "./deps/db/database.ts";
import type { Cache } from "./deps/cache/cache.ts";
import type { BatchStore } from "./deps/batch-store/batch-store.ts";
import type { Clock } from "./deps/clock.ts";
import type { Logger } from "./deps/logger.ts";
import type { AccessTokens } from "./identity/access-token.ts";
import type { RateLimiter } from "./deps/ratelimit/ratelimit.ts";
import type { GzipCodec } from "./transfer/batch/gzip.ts";

/** What differs between workerd, Node and Deno, in one place. */
export interface RuntimeAdapter {
  readonly name: "workerd" | "node" | "deno";
  /** The client's address as the runtime saw it (never a client-supplied header, except Cloudflare's own). */
  clientIp(c: Context): string | undefined;
  /** Base URL of the interactive docs' static files (local on premises, where there is no internet). */
  readonly docsAssetBase: string;
  /** Serves a docs static file when the runtime has it locally. */
  docsAsset?(file: string): Promise<Response | null>;
  /**
   * The addresses a host name resolves to, for the webhook guard (Node/Deno). Absent on workerd,
   * where Cloudflare itself refuses private, loopback and link-local targets.
   */
  resolveHost?(hostname: string): Promise<string[]>;
  /** A faster gzip for batch bodies than Compression Streams (Node's zlib); absent: the streams. */
  readonly gzip?: GzipCodec;
}

/** Every outside dependency, built once per process (or isolate) and read with `c.get("services")`. */
export interface Services {
  config: Config;
  db: Database;
  cache: Cache;
  batches: BatchStore;
  clock: Clock;
  logger: Logger;
  runtime: RuntimeAdapter;
  tokens: AccessTokens;
  /** Per-identity quotas and login lockouts (Upstash or memory). */
  limiter: RateLimiter;
}
