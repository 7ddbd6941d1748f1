import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

const JWT = { AIRLOCK_JWT_SECRET: "x".repeat(32) };
const problemsOf = (env: Record<string, unknown>) => {
  try {
    loadConfig({ ...JWT, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
};

describe("configuration", () => {
  it("fills development defaults from the role", () => {
    const c = loadConfig({ ...JWT, NETWORK_ROLE: "request" });
    expect(c).toMatchObject({
      role: "request",
      networkId: "airlock-request",
      peerNetworkId: "airlock-response",
      logLevel: "info",
      corsOrigins: [],
      maxBodyBytes: 1_048_576,
      cacheTtlSeconds: 86_400,
      databaseUrl: "file:./data/request.db",
      batchDir: "./data/batches/request",
      autoFerry: true,
    });
    expect(c.upstash).toBeUndefined();
  });

  it("requires NETWORK_ROLE and names it", () => {
    expect(problemsOf({})).toEqual(['NETWORK_ROLE: expected "request" or "response"']);
    expect(problemsOf({ NETWORK_ROLE: "banana" })).toEqual(['NETWORK_ROLE: expected "request" or "response" (got "banana")']);
  });

  it("requires a JWT secret and never echoes it", () => {
    expect(problemsOf({ NETWORK_ROLE: "request", AIRLOCK_JWT_SECRET: undefined })).toEqual([
      "AIRLOCK_JWT_SECRET: required: a random secret of at least 32 characters that signs access tokens",
    ]);
    expect(problemsOf({ NETWORK_ROLE: "request", AIRLOCK_JWT_SECRET: "too-short-secret" })).toEqual(["AIRLOCK_JWT_SECRET: must be at least 32 characters"]);
  });

  it("refuses unknown AIRLOCK_* settings so a misspelt security setting is never ignored", () => {
    expect(problemsOf({ NETWORK_ROLE: "response", AIRLOCK_COURIER_TOKN: "x" })).toEqual(['AIRLOCK_COURIER_TOKN: unknown setting (check the spelling; see README "Configuration")']);
  });

  it("validates values and never echoes secrets", () => {
    const p = problemsOf({
      NETWORK_ROLE: "response",
      AIRLOCK_COURIER_TOKEN: "short-secret",
      AIRLOCK_MAX_BODY_BYTES: "-1",
      AIRLOCK_CORS_ORIGINS: "not a url",
      UPSTASH_REDIS_REST_URL: "https://x.upstash.io",
    });
    expect(p).toHaveLength(4);
    expect(p.join("\n")).toContain("AIRLOCK_COURIER_TOKEN: must be at least 32 characters");
    expect(p.join("\n")).not.toContain("short-secret");
    expect(p.join("\n")).toContain("AIRLOCK_MAX_BODY_BYTES");
    expect(p.join("\n")).toContain("AIRLOCK_CORS_ORIGINS: expected a comma-separated list");
    expect(p.join("\n")).toContain("UPSTASH_REDIS_REST_TOKEN: UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN go together");
  });

  it("heartbeat: every 60 minutes by default, 0 turns it off, anything else is refused with its range", () => {
    expect(loadConfig({ ...JWT, NETWORK_ROLE: "request" }).transfer.heartbeatMs).toBe(60 * 60_000);
    expect(loadConfig({ ...JWT, NETWORK_ROLE: "request", AIRLOCK_HEARTBEAT_MINUTES: "0" }).transfer.heartbeatMs).toBe(0);
    expect(problemsOf({ NETWORK_ROLE: "request", AIRLOCK_HEARTBEAT_MINUTES: "-5" })).toEqual(['AIRLOCK_HEARTBEAT_MINUTES: expected 0 (off) to 10080 minutes (got "-5")']);
  });

  it("refuses a bootstrap admin on the request network", () => {
    expect(problemsOf({ NETWORK_ROLE: "request", AIRLOCK_ADMIN_EMAIL: "a@b.co", AIRLOCK_ADMIN_PASSWORD: "long-enough-password" })[0]).toMatch(
      /^AIRLOCK_ADMIN_EMAIL: the request network never creates users/,
    );
  });

  it("ignores Workers bindings (objects) and other variables", () => {
    const c = loadConfig({ ...JWT, NETWORK_ROLE: "request", DB: {}, BATCHES: {}, PATH: "/usr/bin", AIRLOCK_CORS_ORIGINS: "https://a.example, https://b.example:8443" });
    expect(c.corsOrigins).toEqual(["https://a.example", "https://b.example:8443"]);
  });
});
