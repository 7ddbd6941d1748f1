import { z } from "zod";
import { DEFAULT_POLICIES, parseRateLimitsSetting, type Policy, type PolicyName } from "./limits/policy.ts";

/**
 * Settings, parsed once at start-up from environment variables (Node/Deno) or
 * bindings (Workers). A missing or invalid setting stops start-up with a
 * message naming it; an AIRLOCK_* setting we do not know is an error too, so a
 * misspelt security setting is never silently ignored.
 */
const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);
const bool = (def: boolean) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no"], { message: "expected 1/0/true/false/yes/no" })
    .default(def ? "1" : "0")
    .transform((v) => v === "1" || v === "true" || v === "yes");

const origins = z
  .string()
  .default("")
  .transform((s) => s.split(",").map((o) => o.trim()).filter(Boolean))
  .refine((list) => list.every((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o)), {
    message: "expected a comma-separated list of origins like https://app.example.com, or *",
  });

const ConfigSchema = z
  .object({
    NETWORK_ROLE: z.enum(["request", "response"], { message: 'expected "request" or "response"' }),
    AIRLOCK_NETWORK_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected lowercase letters, digits and dashes").optional(),
    AIRLOCK_PEER_NETWORK_ID: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected lowercase letters, digits and dashes").optional(),
    AIRLOCK_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    AIRLOCK_CORS_ORIGINS: origins,
    AIRLOCK_MAX_BODY_BYTES: positiveInt(1_048_576),
    AIRLOCK_CACHE_TTL_SECONDS: positiveInt(86_400),
    // Requests, responses, cache (docs/requests.md).
    AIRLOCK_CACHE_TIMEOUT_MS: z.coerce.number().int().min(10, "expected 10 to 10000").max(10_000, "expected 10 to 10000").default(200),
    AIRLOCK_MAX_REQUEST_BODY_BYTES: positiveInt(65_536),
    AIRLOCK_CLAIM_TTL_SECONDS: z.coerce.number().int().min(30, "expected 30 to 86400").max(86_400, "expected 30 to 86400").default(900),
    AIRLOCK_REQUEST_RETENTION_DAYS: z.coerce.number().int().min(0, "expected 0 (keep forever) or more days").default(365),
    AIRLOCK_PROCESSOR_URL: z.url({ protocol: /^https?$/, message: "expected an http(s):// URL" }).optional(),
    AIRLOCK_PROCESSOR_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    AIRLOCK_PROCESSOR_TIMEOUT_MS: z.coerce.number().int().min(100, "expected 100 to 300000").max(300_000, "expected 100 to 300000").default(10_000),
    AIRLOCK_PROCESSOR_MAX_ATTEMPTS: z.coerce.number().int().min(1, "expected 1 to 100").max(100, "expected 1 to 100").default(5),
    AIRLOCK_PROCESSOR_BACKOFF_SECONDS: z.coerce.number().int().min(1, "expected 1 to 86400").max(86_400, "expected 1 to 86400").default(30),
    AIRLOCK_COURIER_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
    AIRLOCK_JWT_SECRET: z.string({ message: "required: a random secret of at least 32 characters that signs access tokens" }).min(32, "must be at least 32 characters"),
    AIRLOCK_JWT_PREVIOUS_SECRETS: z
      .string()
      .default("")
      .transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))
      .refine((l) => l.every((x) => x.length >= 32), { message: "each previous secret must be at least 32 characters" }),
    AIRLOCK_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    AIRLOCK_REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 86_400).default(30 * 86_400),
    AIRLOCK_SIGNING_KEY: z.string().optional(),
    AIRLOCK_PEER_PUBLIC_KEYS: z.string().optional(),
    AIRLOCK_ENCRYPTION_KEYS: z.string().optional(),
    AIRLOCK_PEER_ENCRYPTION_KEY: z.string().optional(),
    AIRLOCK_BATCH_MAX_RECORDS: z.coerce.number().int().min(1).max(50_000).default(5_000),
    AIRLOCK_BATCH_MAX_BYTES: z.coerce.number().int().min(4_096).max(32 * 1024 * 1024).default(8 * 1024 * 1024),
    AIRLOCK_BATCH_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(72),
    AIRLOCK_ACK_WARN_MINUTES: z.coerce.number().int().min(1).default(60),
    AIRLOCK_TRANSFER_INTERVAL_SECONDS: z.coerce.number().min(0.2).max(3600).optional(),
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
      .transform((s, ctx) => {
        if (s === undefined) return structuredClone(DEFAULT_POLICIES);
        try {
          return parseRateLimitsSetting(s);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
          return z.NEVER;
        }
      }),
    AIRLOCK_RATE_LIMIT_WARN_PERCENT: z.coerce.number().int().min(1, "expected 1 to 100").max(100, "expected 1 to 100").default(80),
    // Authenticated traffic fails open (a Redis outage must not take reads down: they fall back to the
    // database); logins fail closed (brute-force protection is never silently off). Both counted and logged.
    AIRLOCK_RATE_LIMIT_ON_ERROR: z.enum(["open", "closed"], { message: 'expected "open" or "closed"' }).default("open"),
    AIRLOCK_LOGIN_LIMIT_ON_ERROR: z.enum(["open", "closed"], { message: 'expected "open" or "closed"' }).default("closed"),
    AIRLOCK_RATE_LIMIT_TIMEOUT_MS: z.coerce.number().int().min(10, "expected 10 to 10000").max(10_000, "expected 10 to 10000").default(200),
    AIRLOCK_LOGIN_MAX_FAILURES: positiveInt(5),
    AIRLOCK_LOGIN_LOCKOUT_SECONDS: positiveInt(60),
    AIRLOCK_LOGIN_LOCKOUT_MAX_SECONDS: positiveInt(3_600),
    // Login limits count an IPv6 client by its network prefix: a /64 is one subscriber.
    AIRLOCK_LOGIN_IPV6_PREFIX: z.coerce.number().int().min(16, "expected 16 to 128").max(128, "expected 16 to 128").default(64),
    UPSTASH_REDIS_REST_URL: z.url("expected an https:// URL").optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    PORT: z.coerce.number().int().min(0).max(65535).optional(),
    HOST: z.string().default("127.0.0.1"),
  })
  .superRefine((c, ctx) => {
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
  });

const KNOWN = new Set(Object.keys(ConfigSchema.shape));

export type RawConfig = z.output<typeof ConfigSchema>;

export interface Config {
  role: "request" | "response";
  networkId: string;
  peerNetworkId: string;
  logLevel: RawConfig["AIRLOCK_LOG_LEVEL"];
  corsOrigins: string[];
  maxBodyBytes: number;
  cacheTtlSeconds: number;
  /** Longest a cache operation may take before reads fall back to the database (counted, logged). */
  cacheTimeoutMs: number;
  requests: {
    /** Largest `body` of a submitted request, as JSON text. */
    maxBodyBytes: number;
    /** How long an operator's claim on a request lasts. */
    claimTtlSeconds: number;
    /** Final-state requests older than this are purged daily; 0 keeps them forever. */
    retentionDays: number;
  };
  /** Optional internal service that answers requests (response network). */
  processor?: { url: string; token?: string; timeoutMs: number; maxAttempts: number; backoffSeconds: number };
  courierToken?: string;
  transfer: {
    /** Private Ed25519 JWK (JSON) that signs this network's batches. */
    signingKey?: string;
    /** The peer's public JWK(s) (JSON: one JWK, an array, or {keys}); several while keys rotate. */
    peerPublicKeys?: string;
    /** This network's private X25519 JWK(s) (JSON: one JWK or an array, newest first) that open batches sealed to it. */
    encryptionKeys?: string;
    /** The peer's public X25519 JWK (JSON) that this network's batches are sealed to. */
    peerEncryptionKey?: string;
    maxRecords: number;
    maxRawBytes: number;
    ttlMs: number;
    ackWarnMs: number;
    /** Node/Deno: run import and export every N seconds instead of on their cron (local development). */
    intervalMs?: number;
  };
  jwt: { secret: string; previousSecrets: string[]; accessTtlSeconds: number; refreshTtlSeconds: number };
  admin?: { email: string; password: string };
  dataDir: string;
  batchDir: string;
  autoFerry: boolean;
  dev: boolean;
  databaseUrl: string;
  databaseAuthToken?: string;
  upstash?: { url: string; token: string };
  rateLimits: {
    /** Per role, and per client IP / target account for logins. */
    policies: Record<PolicyName, Policy>;
    /** Soft threshold: from this share of any window used, responses carry RateLimit-Warning. */
    warnPercent: number;
    /** When the limiter's backend fails or times out: let requests through (counted, logged) or refuse them (503). */
    onError: "open" | "closed";
    /** The same, for logins and refreshes (per IP, per account, lockouts). */
    loginOnError: "open" | "closed";
    timeoutMs: number;
    login: { maxFailures: number; lockoutSeconds: number; lockoutMaxSeconds: number; ipv6Prefix: number };
  };
  port?: number;
  host: string;
}

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
  const c = parsed.data;
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
    cacheTimeoutMs: c.AIRLOCK_CACHE_TIMEOUT_MS,
    requests: {
      maxBodyBytes: c.AIRLOCK_MAX_REQUEST_BODY_BYTES,
      claimTtlSeconds: c.AIRLOCK_CLAIM_TTL_SECONDS,
      retentionDays: c.AIRLOCK_REQUEST_RETENTION_DAYS,
    },
    processor: c.AIRLOCK_PROCESSOR_URL
      ? {
          url: c.AIRLOCK_PROCESSOR_URL,
          token: c.AIRLOCK_PROCESSOR_TOKEN,
          timeoutMs: c.AIRLOCK_PROCESSOR_TIMEOUT_MS,
          maxAttempts: c.AIRLOCK_PROCESSOR_MAX_ATTEMPTS,
          backoffSeconds: c.AIRLOCK_PROCESSOR_BACKOFF_SECONDS,
        }
      : undefined,
    courierToken: c.AIRLOCK_COURIER_TOKEN,
    transfer: {
      signingKey: c.AIRLOCK_SIGNING_KEY,
      peerPublicKeys: c.AIRLOCK_PEER_PUBLIC_KEYS,
      encryptionKeys: c.AIRLOCK_ENCRYPTION_KEYS,
      peerEncryptionKey: c.AIRLOCK_PEER_ENCRYPTION_KEY,
      maxRecords: c.AIRLOCK_BATCH_MAX_RECORDS,
      maxRawBytes: c.AIRLOCK_BATCH_MAX_BYTES,
      ttlMs: c.AIRLOCK_BATCH_TTL_HOURS * 3_600_000,
      ackWarnMs: c.AIRLOCK_ACK_WARN_MINUTES * 60_000,
      intervalMs: c.AIRLOCK_TRANSFER_INTERVAL_SECONDS ? c.AIRLOCK_TRANSFER_INTERVAL_SECONDS * 1000 : undefined,
    },
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
      policies: c.AIRLOCK_RATE_LIMITS,
      warnPercent: c.AIRLOCK_RATE_LIMIT_WARN_PERCENT,
      onError: c.AIRLOCK_RATE_LIMIT_ON_ERROR,
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
