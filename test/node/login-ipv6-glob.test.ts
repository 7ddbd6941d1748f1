// Login limits count an IPv6 client by its /64 (AIRLOCK_LOGIN_IPV6_PREFIX); the memory cache's
// glob matcher agrees with real Redis' MATCH and stays linear on patterns that make a
// backtracking regular expression explode.
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientBucket } from "../../src/lib/ip.ts";
import { LoginGuard } from "../../src/limits/lockouts.ts";
import { globMatcher } from "../../src/deps/cache/cache.ts";
import { MemoryCache } from "../../src/deps/cache/memory.ts";
import { systemClock } from "../../src/deps/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { nodeServices, TEST_ENV } from "../helpers/node-app.ts";
import { deleteKeysWithPrefix, getRedisUrl, uniquePrefix, type RedisHandle } from "../helpers/redis.ts";

describe("IPv6 clients are limited per network prefix", () => {
  it("clientBucket: IPv4 as is, IPv6 by its prefix, IPv4-mapped as IPv4, junk as given", () => {
    expect(clientBucket("203.0.113.9", 64)).toBe("203.0.113.9");
    expect(clientBucket("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64)).toBe("2001:db8:1:2:0:0:0:0/64");
    expect(clientBucket("2001:DB8:1:2::1", 64)).toBe("2001:db8:1:2:0:0:0:0/64");
    expect(clientBucket("[2001:db8:1:2::ffff]", 64)).toBe("2001:db8:1:2:0:0:0:0/64");
    expect(clientBucket("fe80::1%eth0", 64)).toBe("fe80:0:0:0:0:0:0:0/64");
    expect(clientBucket("2001:db8:1:2::1", 48)).toBe("2001:db8:1:0:0:0:0:0/48");
    expect(clientBucket("2001:db8:1:2::1", 56)).toBe("2001:db8:1:0:0:0:0:0/56");
    expect(clientBucket("2001:db8:1:2ff::1", 56)).toBe("2001:db8:1:200:0:0:0:0/56");
    expect(clientBucket("2001:db8:1:2::1", 128)).toBe("2001:db8:1:2:0:0:0:1/128");
    expect(clientBucket("::ffff:192.0.2.1", 64)).toBe("192.0.2.1");
    expect(clientBucket("64:ff9b::192.0.2.33", 96)).toBe("64:ff9b:0:0:0:0:0:0/96");
    for (const junk of ["1::2::3", "2001:db8:1:2:3:4:5:6:7", "zzzz::1", "::ffff:300.1.1.1"]) expect(clientBucket(junk, 64)).toBe(junk);
    expect(clientBucket(`${"f".repeat(100)}`, 64)).toHaveLength(64);
  });

  async function guardWith(env: Record<string, string>) {
    const s = await nodeServices({ NETWORK_ROLE: "request", AIRLOCK_RATE_LIMITS: JSON.stringify({ login_ip: { minute: 3 } }), ...env });
    const guard = new LoginGuard(s);
    let n = 0;
    return async (ip: string) => {
      try {
        await guard.check(ip, `someone-${n++}@example.com`); // a new account each time: only the address counts
        return "allowed";
      } catch (e) {
        expect((e as { options: { detail: string } }).options.detail).toMatch(/login attempts from this address/);
        return "refused";
      }
    };
  }

  it("addresses of one /64 share a bucket; another /64 has its own", async () => {
    const attempt = await guardWith({});
    const same = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::4"];
    expect([await attempt(same[0]), await attempt(same[1]), await attempt(same[2]), await attempt(same[3])]).toEqual(["allowed", "allowed", "allowed", "refused"]);
    expect(await attempt("2001:db8:1:3::1")).toBe("allowed");
    expect(await attempt("203.0.113.9")).toBe("allowed");
  });

  it("AIRLOCK_LOGIN_IPV6_PREFIX=128 counts every address alone; the setting is validated", async () => {
    const attempt = await guardWith({ AIRLOCK_LOGIN_IPV6_PREFIX: "128" });
    for (let i = 1; i <= 5; i++) expect(await attempt(`2001:db8:1:2::${i}`)).toBe("allowed");
    const base = { ...TEST_ENV, NETWORK_ROLE: "request" };
    expect(loadConfig(base).rateLimits.login.ipv6Prefix).toBe(64);
    for (const bad of ["8", "129", "x"]) expect(() => loadConfig({ ...base, AIRLOCK_LOGIN_IPV6_PREFIX: bad })).toThrow(/AIRLOCK_LOGIN_IPV6_PREFIX/);
  });
});

describe("glob patterns are matched without backtracking", () => {
  let redis: RedisHandle;
  let client: ReturnType<typeof createClient>;
  const prefix = uniquePrefix("glob");
  const KEYS = ["resp:req_01", "resp:req_02", "resp:req_1x", "resp:", "idx:user:u1", "a*b", "a?b", "a[b", "a\\b", "abc", "aXc", "ab", "-x", "]x", "résumé"];
  const PATTERNS = [
    "*",
    "resp:*",
    "resp:req_0?",
    "resp:req_[01]*",
    "resp:req_[^0]*",
    "*:*:*",
    "a\\*b",
    "a\\?b",
    "a[*]b",
    "a[b",
    "a[a-c]c",
    "a[c-a]c",
    "a[^a-c]c",
    "a?c",
    "?b",
    "[]-]x",
    "r*s*m*",
    "*u1",
    "ab*",
    "\\a\\b",
  ];

  beforeAll(async () => {
    redis = await getRedisUrl();
    client = createClient({ url: redis.url, RESP: 2 });
    client.on("error", () => {});
    await client.connect();
    for (const k of KEYS) await client.set(prefix + k, "1", { EX: 300 });
  });
  afterAll(async () => {
    client?.destroy();
    await deleteKeysWithPrefix(redis.url, prefix);
    await redis?.stop();
  });

  it("agrees with real Redis' SCAN MATCH on every pattern", async () => {
    const escapedPrefix = prefix.replace(/[*?[\]\\]/g, "\\$&");
    for (const pattern of PATTERNS) {
      const fromRedis: string[] = [];
      let cursor = "0";
      do {
        const [next, keys] = (await client.sendCommand(["SCAN", cursor, "MATCH", escapedPrefix + pattern, "COUNT", "1000"])) as [string, string[]];
        fromRedis.push(...keys.map((k) => k.slice(prefix.length)));
        cursor = next;
      } while (cursor !== "0");
      const matches = globMatcher(pattern);
      expect(KEYS.filter(matches).sort(), pattern).toEqual(fromRedis.sort());
    }
  });

  it("a pathological pattern against a long near-miss key finishes at once (a backtracking regex would not)", async () => {
    const pattern = `${"a*".repeat(40)}b`;
    const key = "a".repeat(20_000);
    const started = performance.now();
    expect(globMatcher(pattern)(key)).toBe(false);
    expect(globMatcher(pattern)(`${key}b`)).toBe(true);
    const cache = new MemoryCache(systemClock);
    await cache.set(key, 1, 60);
    const found: string[] = [];
    for await (const k of cache.scan(pattern)) found.push(k);
    expect(found).toEqual([]);
    // 20,000 characters × 42 positions is under a million steps; generous for a shared machine.
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
