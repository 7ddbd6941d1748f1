import { describe, expect, it } from "vitest";
import { type ConfigError, loadConfig } from "../../src/config.ts";

const BASE = { AIRLOCK_JWT_SECRET: "x".repeat(32) };
const problems = (env: Record<string, string>) => {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (e) {
    return (e as ConfigError).problems;
  }
  return [];
};

describe("requests settings", () => {
  it("defaults", () => {
    const c = loadConfig({ ...BASE, NETWORK_ROLE: "response" });
    expect(c).toMatchObject({ cacheTtlSeconds: 86_400, cacheTimeoutMs: 200, requests: { maxBodyBytes: 65_536, claimTtlSeconds: 900, retentionDays: 365 } });
    expect(c.processor).toBeUndefined();
  });

  it("the processor: response network only, a URL, bounded timeouts and attempts; the token is never echoed", () => {
    const c = loadConfig({ ...BASE, NETWORK_ROLE: "response", AIRLOCK_PROCESSOR_URL: "http://10.0.0.5:8080/answer", AIRLOCK_PROCESSOR_TOKEN: "t".repeat(20) });
    expect(c.processor).toEqual({ url: "http://10.0.0.5:8080/answer", token: "t".repeat(20), timeoutMs: 10_000, maxAttempts: 5, backoffSeconds: 30 });
    expect(problems({ NETWORK_ROLE: "request", AIRLOCK_PROCESSOR_URL: "http://10.0.0.5/" })).toEqual([
      `AIRLOCK_PROCESSOR_URL: the processor answers requests on the response network; set it there (got "http://10.0.0.5/")`,
    ]);
    expect(problems({ NETWORK_ROLE: "response", AIRLOCK_PROCESSOR_URL: "ftp://x/" })[0]).toMatch(/^AIRLOCK_PROCESSOR_URL: expected an http\(s\):\/\/ URL/);
    expect(problems({ NETWORK_ROLE: "response", AIRLOCK_PROCESSOR_TOKEN: "secret-secret-secret" })).toEqual([
      "AIRLOCK_PROCESSOR_TOKEN: AIRLOCK_PROCESSOR_TOKEN needs AIRLOCK_PROCESSOR_URL",
    ]);
    const short = problems({ NETWORK_ROLE: "response", AIRLOCK_PROCESSOR_URL: "http://x/", AIRLOCK_PROCESSOR_TOKEN: "short" });
    expect(short).toEqual(["AIRLOCK_PROCESSOR_TOKEN: must be at least 16 characters"]);
    expect(problems({ NETWORK_ROLE: "response", AIRLOCK_PROCESSOR_URL: "http://x/", AIRLOCK_PROCESSOR_TIMEOUT_MS: "5" })).toEqual([
      'AIRLOCK_PROCESSOR_TIMEOUT_MS: expected 100 to 300000 (got "5")',
    ]);
    expect(problems({ NETWORK_ROLE: "request", AIRLOCK_CACHE_TIMEOUT_MS: "0" })).toEqual(['AIRLOCK_CACHE_TIMEOUT_MS: expected 10 to 10000 (got "0")']);
  });
});
