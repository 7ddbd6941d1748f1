import { z } from "zod";
import { bool, list, range } from "./lib/setting-fields.ts";
import { DEFAULT_POLICIES, parseRateLimitsSetting, type Policy, type PolicyName } from "./limits/policy.ts";

/**
 * Settings, parsed once at start-up from environment variables (Node/Deno) or
 * bindings (Workers). A missing or invalid setting stops start-up with a
 * message naming it; an AIRLOCK_* setting we do not know is an error too, so a
 * misspelt security setting is never silently ignored.
 */

const networkId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected lowercase letters, digits and dashes")
  .optional();
const onError = z.enum(["open", "closed"], { message: 'expected "open" or "closed"' });

// The settings as they arrive (names and text); Config (below) is what the code reads. In this order
// problems are reported.
const Settings = z.object({
  NETWORK_ROLE: z.enum(["request", "response"], { message: 'expected "request" or "response"' }),
  AIRLOCK_NETWORK_ID: networkId,
  AIRLOCK_PEER_NETWORK_ID: networkId,
  AIRLOCK_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  AIRLOCK_CORS_ORIGINS: list().refine((l) => l.every((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o)), {
    message: "expected a comma-separated list of origins like https://app.example.com, or *",
  }),
  AIRLOCK_MAX_BODY_BYTES: range(1).default(1_048_576),
  AIRLOCK_CACHE_TTL_SECONDS: range(1).default(86_400),
  // Requests, responses, cache (docs/requests.md).
  AIRLOCK_CACHE_TIMEOUT_MS: range(10, 10_000).default(200),
  AIRLOCK_MAX_REQUEST_BODY_BYTES: range(1).default(65_536),
  AIRLOCK_CLAIM_TTL_SECONDS: range(30, 86_400).default(900),
  AIRLOCK_REQUEST_RETENTION_DAYS: range(0, undefined, { message: "expected 0 (keep forever) or more days" }).default(365),
  AIRLOCK_PROCESSOR_URL: z.url({ protocol: /^https?$/, message: "expected an http(s):// URL" }).optional(),
  AIRLOCK_PROCESSOR_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  AIRLOCK_PROCESSOR_TIMEOUT_MS: range(100, 300_000).default(10_000),
  AIRLOCK_PROCESSOR_MAX_ATTEMPTS: range(1, 100).default(5),
  AIRLOCK_PROCESSOR_BACKOFF_SECONDS: range(1, 86_400).default(30),
  // Webhooks (both networks, docs/webhooks.md).
  AIRLOCK_WEBHOOKS_ALLOW_PRIVATE: bool(false),
  AIRLOCK_WEBHOOKS_TIMEOUT_MS: range(100, 60_000).default(15_000),
  // The courier's token; accounts and tokens.
  AIRLOCK_COURIER_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
  AIRLOCK_METRICS_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
  AIRLOCK_JWT_SECRET: z.string({ message: "required: a random secret of at least 32 characters that signs access tokens" }).min(32, "must be at least 32 characters"),
  AIRLOCK_JWT_PREVIOUS_SECRETS: list().refine((l) => l.every((x) => x.length >= 32), { message: "each previous secret must be at least 32 characters" }),
  AIRLOCK_ACCESS_TOKEN_TTL_SECONDS: range(60, 86_400).default(900),
  AIRLOCK_REFRESH_TOKEN_TTL_SECONDS: range(300, 90 * 86_400).default(30 * 86_400),
  // The transfer: batch keys, limits, cadence (docs/transfer.md); Config.transfer is transferConfig() below.
  AIRLOCK_SIGNING_KEY: z.string().optional(),
  AIRLOCK_PEER_PUBLIC_KEYS: z.string().optional(),
  AIRLOCK_ENCRYPTION_KEYS: z.string().optional(),
  AIRLOCK_PEER_ENCRYPTION_KEY: z.string().optional(),
  AIRLOCK_BATCH_MAX_RECORDS: range(1, 50_000).default(5_000),
  AIRLOCK_BATCH_MAX_BYTES: range(4_096, 32 * 1024 * 1024).default(8 * 1024 * 1024),
  AIRLOCK_BATCH_TTL_HOURS: range(1, 24 * 90).default(72),
  AIRLOCK_ACK_WARN_MINUTES: range(1).default(60),
  AIRLOCK_HEARTBEAT_MINUTES: range(0, 7 * 1440, { message: "expected 0 (off) to 10080 minutes" }).default(60),
  AIRLOCK_TRANSFER_INTERVAL_SECONDS: range(0.2, 3600, { fraction: true }).optional(),
  // Operator alerts (docs/alerts.md): minutes, 0 turns a condition off.
  AIRLOCK_ALERT_NO_IMPORT_MINUTES: range(0).optional(),
  AIRLOCK_ALERT_UNACKED_MINUTES: range(0).default(60),
  AIRLOCK_ALERT_HELD_MINUTES: range(0).default(15),
  AIRLOCK_ALERT_PENDING_REQUEST_MINUTES: range(0).default(360),
  AIRLOCK_ALERT_LINK_ERRORS: bool(true),
  AIRLOCK_ALERT_PROCESSOR_FAILING: bool(true),
  AIRLOCK_ALERT_BACKEND_ERRORS: bool(true),
  // The bootstrap admin; files and database.
  AIRLOCK_ADMIN_EMAIL: z.email("expected an e-mail address").optional(),
  AIRLOCK_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").optional(),
  AIRLOCK_DATA_DIR: z.string().default("./data"),
  AIRLOCK_BATCH_DIR: z.string().optional(),
  AIRLOCK_AUTO_FERRY: bool(true),
  AIRLOCK_DEV: bool(false),
  DATABASE_URL: z.string().optional(),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  // Rate limits (src/deps/ratelimit, docs/rate-limits.md).
  AIRLOCK_RATE_LIMITS: z
    .string()
    .optional()
    .transform((s, ctx): Record<PolicyName, Policy> => {
      if (s === undefined) return structuredClone(DEFAULT_POLICIES);
      try {
        return parseRateLimitsSetting(s);
      } catch (e) {
        ctx.addIssue({ code: "custom", message: (e as Error).message });
        return z.NEVER;
      }
    }),
  AIRLOCK_RATE_LIMIT_WARN_PERCENT: range(1, 100).default(80),
  // Authenticated traffic fails open (a Redis outage must not take reads down: they fall back to the
  // database); logins fail closed (brute-force protection is never silently off). Both counted and logged.
  AIRLOCK_RATE_LIMIT_ON_ERROR: onError.default("open"),
  AIRLOCK_LOGIN_LIMIT_ON_ERROR: onError.default("closed"),
  AIRLOCK_RATE_LIMIT_TIMEOUT_MS: range(10, 10_000).default(200),
  AIRLOCK_LOGIN_MAX_FAILURES: range(1).default(5),
  AIRLOCK_LOGIN_LOCKOUT_SECONDS: range(1).default(60),
  AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS: range(1).default(3_600),
  // Login limits count an IPv6 client by its network prefix: a /64 is one subscriber.
  AIRLOCK_LOGIN_IPV6_PREFIX: range(16, 128).default(64),
  // Upstash (cache and limits); the HTTP server.
  UPSTASH_REDIS_REST_URL: z.url("expected an https:// URL").optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  PORT: range(0, 65535).optional(),
  HOST: z.string().default("127.0.0.1"),
});
type Settings = z.output<typeof Settings>;

/** Rules across settings. */
function checkTogether(c: Settings, ctx: z.RefinementCtx): void {
  if (!!c.UPSTASH_REDIS_REST_URL !== !!c.UPSTASH_REDIS_REST_TOKEN) {
    ctx.addIssue({ code: "custom", path: ["UPSTASH_REDIS_REST_TOKEN"], message: "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together" });
  }
  if (c.AIRLOCK_LOGIN_LOCKOUT_SECONDS > c.AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS) {
    ctx.addIssue({ code: "custom", path: ["AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS"], message: "must be at least AIRLOCK_LOGIN_LOCKOUT_SECONDS" });
  }
  if (!!c.AIRLOCK_ADMIN_EMAIL !== !!c.AIRLOCK_ADMIN_PASSWORD) {
    ctx.addIssue({ code: "custom", path: ["AIRLOCK_ADMIN_PASSWORD"], message: "AIRLOCK_ADMIN_EMAIL and AIRLOCK_ADMIN_PASSWORD go together" });
  }
  if (c.NETWORK_ROLE === "request" && c.AIRLOCK_ADMIN_EMAIL) {
    ctx.addIssue({
      code: "custom",
      path: ["AIRLOCK_ADMIN_EMAIL"],
      message: "the request network never creates users of its own; set the bootstrap admin on the response network",
    });
  }
  if (c.NETWORK_ROLE === "request" && (c.AIRLOCK_PROCESSOR_URL || c.AIRLOCK_PROCESSOR_TOKEN)) {
    ctx.addIssue({ code: "custom", path: ["AIRLOCK_PROCESSOR_URL"], message: "the processor answers requests on the response network; set it there" });
  }
  if (c.AIRLOCK_PROCESSOR_TOKEN && !c.AIRLOCK_PROCESSOR_URL) {
    ctx.addIssue({ code: "custom", path: ["AIRLOCK_PROCESSOR_TOKEN"], message: "AIRLOCK_PROCESSOR_TOKEN needs AIRLOCK_PROCESSOR_URL" });
  }
}

/** What the code reads (`services.config`): the settings grouped, named for their use, defaults filled in. */
function toConfig(c: Settings) {
  const role = c.NETWORK_ROLE;
  const other = role === "request" ? "response" : "request";
  return {
    role,
    networkId: c.AIRLOCK_NETWORK_ID ?? `airlock-${role}`,
    peerNetworkId: c.AIRLOCK_PEER_NETWORK_ID ?? `airlock-${other}`,
    logLevel: c.AIRLOCK_LOG_LEVEL,
    corsOrigins: c.AIRLOCK_CORS_ORIGINS,
    maxBodyBytes: c.AIRLOCK_MAX_BODY_BYTES,
    cacheTtlSeconds: c.AIRLOCK_CACHE_TTL_SECONDS,
    /** Longest a cache operation may take before reads fall back to the database (counted, logged). */
    cacheTimeoutMs: c.AIRLOCK_CACHE_TIMEOUT_MS,
    requests: {
      /** Largest `body` of a submitted request, as JSON text. */
      maxBodyBytes: c.AIRLOCK_MAX_REQUEST_BODY_BYTES,
      /** How long an operator's claim on a request lasts. */
      claimTtlSeconds: c.AIRLOCK_CLAIM_TTL_SECONDS,
      /** Final-state requests older than this are purged daily; 0 keeps them forever. */
      retentionDays: c.AIRLOCK_REQUEST_RETENTION_DAYS,
    },
    /** Optional internal service that answers requests (response network). */
    processor: c.AIRLOCK_PROCESSOR_URL
      ? {
          url: c.AIRLOCK_PROCESSOR_URL,
          token: c.AIRLOCK_PROCESSOR_TOKEN,
          timeoutMs: c.AIRLOCK_PROCESSOR_TIMEOUT_MS,
          maxAttempts: c.AIRLOCK_PROCESSOR_MAX_ATTEMPTS,
          backoffSeconds: c.AIRLOCK_PROCESSOR_BACKOFF_SECONDS,
        }
      : undefined,
    webhooks: {
      /** Node/Deno: deliver to private, loopback and link-local addresses too (workerd: Cloudflare refuses them regardless). */
      allowPrivate: c.AIRLOCK_WEBHOOKS_ALLOW_PRIVATE,
      timeoutMs: c.AIRLOCK_WEBHOOKS_TIMEOUT_MS,
    },
    courierToken: c.AIRLOCK_COURIER_TOKEN,
    /** Bearer token a Prometheus scraper sends to GET /metrics (it reads nothing else). */
    metricsToken: c.AIRLOCK_METRICS_TOKEN,
    transfer: transferConfig(c),
    alerts: alertsConfig(c),
    jwt: {
      secret: c.AIRLOCK_JWT_SECRET,
      previousSecrets: c.AIRLOCK_JWT_PREVIOUS_SECRETS,
      accessTtlSeconds: c.AIRLOCK_ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: c.AIRLOCK_REFRESH_TOKEN_TTL_SECONDS,
    },
    admin: c.AIRLOCK_ADMIN_EMAIL && c.AIRLOCK_ADMIN_PASSWORD ? { email: c.AIRLOCK_ADMIN_EMAIL, password: c.AIRLOCK_ADMIN_PASSWORD } : undefined,
    dataDir: c.AIRLOCK_DATA_DIR,
    batchDir: c.AIRLOCK_BATCH_DIR ?? `${c.AIRLOCK_DATA_DIR}/batches/${role}`,
    autoFerry: c.AIRLOCK_AUTO_FERRY,
    dev: c.AIRLOCK_DEV,
    databaseUrl: c.DATABASE_URL ?? `file:${c.AIRLOCK_DATA_DIR}/${role}.db`,
    databaseAuthToken: c.DATABASE_AUTH_TOKEN,
    upstash: c.UPSTASH_REDIS_REST_URL && c.UPSTASH_REDIS_REST_TOKEN ? { url: c.UPSTASH_REDIS_REST_URL, token: c.UPSTASH_REDIS_REST_TOKEN } : undefined,
    rateLimits: {
      /** Per role, and per client IP / target account for logins. */
      policies: c.AIRLOCK_RATE_LIMITS,
      /** Soft threshold: from this share of any window used, responses carry RateLimit-Warning. */
      warnPercent: c.AIRLOCK_RATE_LIMIT_WARN_PERCENT,
      /** When the limiter's backend fails or times out: let requests through (counted, logged) or refuse them (503). */
      onError: c.AIRLOCK_RATE_LIMIT_ON_ERROR,
      /** The same, for logins and refreshes (per IP, per account, lockouts). */
      loginOnError: c.AIRLOCK_LOGIN_LIMIT_ON_ERROR,
      timeoutMs: c.AIRLOCK_RATE_LIMIT_TIMEOUT_MS,
      login: {
        maxFailures: c.AIRLOCK_LOGIN_MAX_FAILURES,
        lockoutSeconds: c.AIRLOCK_LOGIN_LOCKOUT_SECONDS,
        lockoutMaxSeconds: c.AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS,
        ipv6Prefix: c.AIRLOCK_LOGIN_IPV6_PREFIX,
      },
    },
    port: c.PORT,
    host: c.HOST,
  };
}

/** The transfer section of Config (its settings: `transfer` above). */
function transferConfig(c: Settings) {
  return {
    /** Private Ed25519 JWK (JSON) that signs this network's batches. */
    signingKey: c.AIRLOCK_SIGNING_KEY,
    /** The peer's public JWK(s) (JSON: one JWK, an array, or {keys}); several while keys rotate. */
    peerPublicKeys: c.AIRLOCK_PEER_PUBLIC_KEYS,
    /** This network's private X25519 JWK(s) (JSON: one JWK or an array, newest first) that open batches sealed to it. */
    encryptionKeys: c.AIRLOCK_ENCRYPTION_KEYS,
    /** The peer's public X25519 JWK (JSON) that this network's batches are sealed to. */
    peerEncryptionKey: c.AIRLOCK_PEER_ENCRYPTION_KEY,
    maxRecords: c.AIRLOCK_BATCH_MAX_RECORDS,
    maxRawBytes: c.AIRLOCK_BATCH_MAX_BYTES,
    ttlMs: c.AIRLOCK_BATCH_TTL_HOURS * 3_600_000,
    ackWarnMs: c.AIRLOCK_ACK_WARN_MINUTES * 60_000,
    /** An empty batch leaves when nothing else has for this long, so an idle link still shows it is alive; 0: never. */
    heartbeatMs: c.AIRLOCK_HEARTBEAT_MINUTES * 60_000,
    /** Node/Deno: run import and export every N seconds instead of on their cron (local development). */
    intervalMs: c.AIRLOCK_TRANSFER_INTERVAL_SECONDS ? c.AIRLOCK_TRANSFER_INTERVAL_SECONDS * 1000 : undefined,
  };
}

/** Alert thresholds in ms (0: off). No import: twice the heartbeat, so an idle link with a running courier stays quiet. */
function alertsConfig(c: Settings) {
  const min = (m: number) => m * 60_000;
  return {
    noImportMs: min(c.AIRLOCK_ALERT_NO_IMPORT_MINUTES ?? 2 * c.AIRLOCK_HEARTBEAT_MINUTES),
    unackedMs: min(c.AIRLOCK_ALERT_UNACKED_MINUTES),
    heldMs: min(c.AIRLOCK_ALERT_HELD_MINUTES),
    pendingRequestMs: min(c.AIRLOCK_ALERT_PENDING_REQUEST_MINUTES),
    /** Quarantined batches and open dead letters. */
    linkErrors: c.AIRLOCK_ALERT_LINK_ERRORS,
    processorFailing: c.AIRLOCK_ALERT_PROCESSOR_FAILING,
    /** Rate limiter and cache backend errors (this process's counters). */
    backendErrors: c.AIRLOCK_ALERT_BACKEND_ERRORS,
  };
}

const ConfigSchema = Settings.superRefine(checkTogether).transform(toConfig);
const KNOWN = new Set(Object.keys(Settings.shape));

/** The settings as the code reads them: what ConfigSchema makes of the environment. */
export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Parse settings; throws ConfigError listing every bad setting by name. */
export function loadConfig(env: Record<string, unknown>): Config {
  const strings: Record<string, string> = {};
  const problems: string[] = [];
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== "string") continue; // Workers bindings (D1, R2) are objects
    if (k.startsWith("AIRLOCK_") && !KNOWN.has(k)) problems.push(`${k}: unknown setting (check the spelling; see README "Configuration")`);
    if (KNOWN.has(k) && v !== "") strings[k] = v;
  }
  const parsed = ConfigSchema.safeParse(strings);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? "configuration");
      const got = name in strings && !/TOKEN|PASSWORD|SECRET|KEY/.test(name) ? ` (got "${strings[name]}")` : "";
      problems.push(`${name}: ${issue.message}${got}`);
    }
  }
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}
