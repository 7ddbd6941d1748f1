// The Upstash-compatible endpoint as production runs it (scripts/upstash-endpoint.ts): exactly
// the commands Airlock sends, only the rate limiter's scripts, a long token, bounded requests.
// Against a private real Redis, so INFO commandstats shows what reached it.
import { createHash } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpstashEndpoint, DEFAULT_MAX_BODY_BYTES } from "../../src/upstash-endpoint/app.ts";
import { connectRedis } from "../../src/runtime/node/redis.ts";
import { AIRLOCK_COMMANDS, DEFAULT_MAX_PIPELINE } from "../../src/upstash-endpoint/commands.ts";
import { UpstashCache } from "../../src/deps/cache/upstash.ts";
import { UpstashRateLimiter, limiterScripts } from "../../src/deps/ratelimit/upstash.ts";
import { startPrivateRedis, startUpstashEndpoint, type PrivateRedis, type UpstashEndpointHandle } from "../helpers/redis.ts";

let priv: PrivateRedis;
let ep: UpstashEndpointHandle;
let direct: ReturnType<typeof createClient>;

beforeAll(async () => {
  priv = await startPrivateRedis();
  ep = await startUpstashEndpoint(priv.url); // the default: what production allows
  direct = createClient({ url: priv.url, RESP: 2 });
  direct.on("error", () => {});
  await direct.connect();
});
afterAll(async () => {
  direct?.destroy();
  await ep?.close();
  await priv?.stop();
});

async function post(path: string, body: unknown, token = ep.token) {
  const res = await fetch(ep.url + path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** calls per command from INFO commandstats, e.g. { get: 3 }. */
async function commandStats(): Promise<Record<string, number>> {
  const info = String(await direct.sendCommand(["INFO", "commandstats"]));
  return Object.fromEntries([...info.matchAll(/cmdstat_([^:]+):calls=(\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

const sha1 = (s: string) => createHash("sha1").update(s, "utf8").digest("hex");
const ARBITRARY = "return redis.call('FLUSHALL')";

/** The commands a review found the endpoint letting through, and more of their kind: [command, the exact refusal]. */
const REFUSED: Array<[Array<string | number>, string]> = [
  [["FLUSHALL"], "ERR FLUSHALL is not allowed on this endpoint"],
  [["flushall", "ASYNC"], "ERR FLUSHALL is not allowed on this endpoint"],
  [["FLUSHDB"], "ERR FLUSHDB is not allowed on this endpoint"],
  [["CONFIG", "SET", "maxmemory", "1"], "ERR CONFIG SET is not allowed on this endpoint"],
  [["CONFIG", "SET", "dir", "/tmp"], "ERR CONFIG SET is not allowed on this endpoint"],
  [["Config", "get", "*"], "ERR CONFIG GET is not allowed on this endpoint"],
  [["ACL", "SETUSER", "mallory", "on", ">pw", "~*", "+@all"], "ERR ACL SETUSER is not allowed on this endpoint"],
  [["ACL", "LIST"], "ERR ACL LIST is not allowed on this endpoint"],
  [["REPLICAOF", "127.0.0.1", "1"], "ERR REPLICAOF is not allowed on this endpoint"],
  [["SLAVEOF", "127.0.0.1", "1"], "ERR SLAVEOF is not allowed on this endpoint"],
  [["SAVE"], "ERR SAVE is not allowed on this endpoint"],
  [["BGSAVE"], "ERR BGSAVE is not allowed on this endpoint"],
  [["BGREWRITEAOF"], "ERR BGREWRITEAOF is not allowed on this endpoint"],
  [["SWAPDB", 0, 1], "ERR SWAPDB is not allowed on this endpoint"],
  [["KEYS", "*"], "ERR KEYS is not allowed on this endpoint"],
  [["CLIENT", "LIST"], "ERR CLIENT LIST is not allowed on this endpoint"],
  [["CLIENT", "KILL", "TYPE", "normal"], "ERR CLIENT KILL is not allowed on this endpoint"],
  [["DEBUG", "SLEEP", "1"], "ERR DEBUG is not allowed on this endpoint"],
  [["MODULE", "LOAD", "/tmp/evil.so"], "ERR MODULE is not allowed on this endpoint"],
  [["SHUTDOWN", "NOSAVE"], "ERR SHUTDOWN is not allowed on this endpoint"],
  [["MIGRATE", "127.0.0.1", 1, "k", 0, 10], "ERR MIGRATE is not allowed on this endpoint"],
  [["INFO"], "ERR INFO is not allowed on this endpoint"],
  [["DBSIZE"], "ERR DBSIZE is not allowed on this endpoint"],
  [["FUNCTION", "FLUSH"], "ERR FUNCTION is not allowed on this endpoint"],
  [["FCALL", "f", 0], "ERR FCALL is not allowed on this endpoint"],
  [["EVAL", ARBITRARY, 0], `ERR this script is not allowed on this endpoint (SHA-1 ${sha1(ARBITRARY)}); it runs only the scripts it was given`],
  [["eval_ro", "return 1", 0], `ERR command "eval_ro" is not allowed on this endpoint`],
  [["EVALSHA", sha1(ARBITRARY), 0], "NOSCRIPT No matching script: this endpoint runs only the scripts it was given"],
  [["SCRIPT", "LOAD", ARBITRARY], `ERR command "SCRIPT" is not allowed on this endpoint`],
  [["SCRIPT", "FLUSH"], `ERR command "SCRIPT" is not allowed on this endpoint`],
  [["RPUSH", "l", "x"], `ERR command "RPUSH" is not allowed on this endpoint`],
  [["BLPOP", "l", 1], `ERR command "BLPOP" is not allowed on this endpoint`],
  [["SELECT", 1], "ERR SELECT is not supported on this endpoint"],
  [["MONITOR"], "ERR MONITOR is not supported on this endpoint"],
  [["SUBSCRIBE", "ch"], "ERR SUBSCRIBE is not supported on this endpoint"],
  [["X".repeat(5000)], `ERR command "${"X".repeat(40)}…" is not allowed on this endpoint`],
];

describe("the default endpoint refuses everything Airlock does not send", () => {
  it("each refused command answers a clear error on /, /pipeline and /multi-exec, and none reaches Redis", async () => {
    await direct.sendCommand(["SET", "canary", "alive"]);
    const maxmemory = await direct.sendCommand(["CONFIG", "GET", "maxmemory"]);
    const acl = await direct.sendCommand(["ACL", "LIST"]);
    const before = await commandStats();
    for (const [cmd, error] of REFUSED) {
      const name = String(cmd[0]).slice(0, 20);
      expect(await post("/", cmd), name).toEqual({ status: 400, json: { error } });
      expect(await post("/pipeline", [["PING"], cmd]), name).toEqual({ status: 200, json: [{ result: "PONG" }, { error }] });
      const tx = await post("/multi-exec", [cmd, ["PING"]]);
      expect(tx, name).toEqual({ status: 200, json: [{ error }, { error: "EXECABORT Transaction discarded because of previous errors." }] });
    }
    const after = await commandStats();
    // Only the pipelines' PINGs reached Redis (transactions with a refused command never start), and our own INFO/CONFIG/ACL reads.
    const reached = Object.fromEntries(
      Object.entries(after)
        .map(([k, n]) => [k, n - (before[k] ?? 0)])
        .filter(([, n]) => (n as number) > 0),
    );
    expect(reached).toEqual({ ping: REFUSED.length, info: 1 });
    expect(await direct.sendCommand(["GET", "canary"])).toBe("alive");
    expect(await direct.sendCommand(["CONFIG", "GET", "maxmemory"])).toEqual(maxmemory);
    expect(await direct.sendCommand(["ACL", "LIST"])).toEqual(acl);
  });

  it("pipelines are capped at 1000 commands and bodies at 10 MiB", async () => {
    expect(DEFAULT_MAX_PIPELINE).toBe(1000);
    const ok = await post(
      "/pipeline",
      Array.from({ length: 1000 }, () => ["PING"]),
    );
    expect(ok.status).toBe(200);
    expect(ok.json).toHaveLength(1000);
    for (const path of ["/pipeline", "/multi-exec"]) {
      const tooLong = await post(
        path,
        Array.from({ length: 1001 }, () => ["PING"]),
      );
      expect(tooLong).toEqual({ status: 400, json: { error: "ERR a pipeline of 1001 commands is more than this endpoint's limit of 1000" } });
    }
    const big = await post("/", ["SET", "big", "x".repeat(DEFAULT_MAX_BODY_BYTES)]);
    expect(big).toEqual({ status: 413, json: { error: `ERR request body larger than ${DEFAULT_MAX_BODY_BYTES} bytes` } });
    expect(await direct.sendCommand(["EXISTS", "big"])).toBe(0);
  });

  it("a token shorter than 32 characters, or allowing a never-allowed command, is refused at construction", async () => {
    const redis = await connectRedis(priv.url);
    try {
      expect(() => createUpstashEndpoint({ redis, token: "x".repeat(31), scripts: [] })).toThrow("createUpstashEndpoint: the token must be at least 32 characters");
      expect(() => createUpstashEndpoint({ redis, token: "x".repeat(32), scripts: [], commands: ["GET", "flushall", "CONFIG"] })).toThrow(
        "the Upstash endpoint never allows FLUSHALL, CONFIG",
      );
      expect(() => createUpstashEndpoint({ redis, token: "x".repeat(32), scripts: [] })).not.toThrow();
    } finally {
      await redis.close();
    }
  });
});

describe("Airlock's cache and rate limiter work through the default endpoint", () => {
  it("the limiter's scripts are the installed library's, allowed by SHA-1", async () => {
    const scripts = await limiterScripts();
    // @upstash/ratelimit 2.x sliding window: limit and remaining-tokens scripts.
    expect(scripts.map(sha1).sort()).toEqual(["74740bb3d7792848093cdef586b6b6037c455fd6", "7ca36169e0fc9caedd81b4eef8e99854c157f9b5"]);
    for (const s of scripts) expect((await post("/", ["EVALSHA", sha1(s), 0])).json.error ?? "").not.toMatch(/not allowed|this endpoint runs only/);
  });

  it("every cache operation and every limiter operation, and Redis saw only allowed commands", async () => {
    const before = await commandStats();
    const ns = `airlock:allowlist-${crypto.randomUUID().slice(0, 8)}:`;
    const cache = new UpstashCache({ url: ep.url, token: ep.token }, ns, { timeoutMs: 2000 });
    await cache.ping();
    await cache.set("cache:resp:a", { answer: 42 }, 60);
    expect(await cache.get("cache:resp:a")).toEqual({ answer: 42 });
    await cache.sadd("cache:idx:user:u", ["cache:resp:a", "cache:resp:b"], 60);
    expect((await cache.smembers("cache:idx:user:u")).sort()).toEqual(["cache:resp:a", "cache:resp:b"]);
    expect(await cache.exists(["cache:resp:a", "cache:resp:b"])).toEqual([true, false]);
    expect(await cache.srem("cache:idx:user:u", ["cache:resp:b"])).toBe(1);
    expect(await cache.hincrby("cache:stats", "hits", 2)).toBe(2);
    expect(await cache.hsetnx("cache:stats", "since", "t0")).toBe(true);
    expect(await cache.hgetall("cache:stats")).toEqual({ hits: "2", since: "t0" });
    const found: string[] = [];
    for await (const k of cache.scan("cache:*")) found.push(k);
    expect(found.sort()).toEqual(["cache:idx:user:u", "cache:resp:a", "cache:stats"]);
    expect(await cache.del(found)).toBe(3);

    const limiter = new UpstashRateLimiter({ url: ep.url, token: ep.token, namespace: `${ns}rl:`, timeoutMs: 2000 });
    const windows = [
      { name: "minute", limit: 3, seconds: 60 },
      { name: "hour", limit: 10, seconds: 3600 },
    ];
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await limiter.limit("user:u", windows));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions[3].windows.map((w) => w.remaining)).toEqual([0, 7]); // the refused request was given back to the hour
    expect(decisions[3].windows[0].retryAt).toBeGreaterThan(Date.now());
    expect((await limiter.peek("user:u", windows)).map((w) => w.remaining)).toEqual([0, 7]);
    await limiter.reset("user:u", windows);
    expect((await limiter.peek("user:u", windows)).map((w) => w.remaining)).toEqual([3, 10]);
    const lock = await limiter.lockouts.lock("account:x", { baseSeconds: 60, maxSeconds: 600, levelTtlSeconds: 600 });
    expect(lock.level).toBe(1);
    expect(await limiter.lockouts.get("account:x")).toEqual(lock);
    await limiter.lockouts.clear("account:x");
    expect(await limiter.lockouts.get("account:x")).toBeNull();
    expect(limiter.counters).toMatchObject({ errors: 0, timeouts: 0 });

    const after = await commandStats();
    const seen = Object.keys(after).filter((k) => after[k] !== before[k] && k !== "info");
    // Commandstats also counts what the limiter's scripts call inside Redis (INCRBY, PEXPIRE), and an
    // endpoint starting on this shared server loads its allowed scripts (SCRIPT LOAD).
    const allowed = new Set([...AIRLOCK_COMMANDS.map((c) => c.toLowerCase()), "multi", "exec", "incrby", "pexpire", "script|load"]);
    expect(seen.filter((c) => !allowed.has(c))).toEqual([]);
    // No EVAL needed: the scripts were loaded when the endpoint started, so EVALSHA finds them.
    expect(seen).toEqual(expect.arrayContaining(["evalsha", "mget", "multi", "exec", "unlink", "scan"]));
  });
});
