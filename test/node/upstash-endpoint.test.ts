// The Upstash-compatible endpoint against a real Redis, driven by the real @upstash/redis and
// @upstash/ratelimit clients plus raw fetch for the exact wire format.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stripUnknownShebangFlags } from "../../src/upstash-endpoint/scripts.ts";
import { AIRLOCK_COMMANDS } from "../../src/upstash-endpoint/commands.ts";
import { deleteKeysWithPrefix, getRedisUrl, startPrivateRedis, startUpstashEndpoint, uniquePrefix, type RedisHandle, type UpstashEndpointHandle } from "../helpers/redis.ts";

// These tests exercise the wire protocol with more than Airlock needs, so their endpoint is
// configured to allow more (test/node/upstash-endpoint-allowlist.test.ts tests the default).
const RUN = Math.random();
const SCRIPTS = {
  setGet: "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], redis.call('GET', KEYS[1]), tonumber(ARGV[2]) + 1}",
  nested: "return {1, 'x', {'y', 2, {'z'}}, false}",
  unknownFlag: "#!lua flags=allow-key-locking\nreturn {KEYS[1], ARGV[1]}",
  noWrites: "#!lua flags=no-writes,allow-key-locking\nredis.call('SET', KEYS[1], 'x')\nreturn 1",
  boom: "#!lua flags=allow-key-locking\nlocal x = 1\nerror('boom')",
  incrby: `#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${RUN}`,
};
const WIRE_COMMANDS = [
  ...AIRLOCK_COMMANDS,
  ...["STRLEN", "TTL", "INCRBY", "DECR", "INCRBYFLOAT", "HSET", "HGET", "HKEYS", "RPUSH", "LRANGE", "LPOP", "SISMEMBER", "ZADD", "ZRANGE", "ZSCORE", "SCRIPT", "TYPE", "BLPOP"],
];

/** The Lua scripts @upstash/ratelimit sends while `use` runs (recorded: EVALSHA answers NOSCRIPT, EVAL records). */
async function ratelimitScripts(use: (rl: (limiter: ConstructorParameters<typeof Ratelimit>[0]["limiter"]) => Ratelimit) => Promise<unknown>): Promise<string[]> {
  const seen = new Set<string>();
  const recorder = {
    evalsha: async () => {
      throw new Error("NOSCRIPT");
    },
    eval: async (script: string) => {
      seen.add(script);
      return [1, 1];
    },
  } as unknown as Redis;
  await use((limiter) => new Ratelimit({ redis: recorder, limiter, ephemeralCache: false, timeout: 0 }));
  return [...seen];
}
let wire: { commands: string[]; scripts: string[] };

let shared: RedisHandle;
let ep: UpstashEndpointHandle;
let redis: Redis;
const prefixes: string[] = [];

/** A key namer with a prefix of its own; everything under it is deleted after the suite. */
function keys(label: string): (name: string) => string {
  const p = uniquePrefix(`upstash-endpoint:${label}`);
  prefixes.push(p);
  return (name) => p + name;
}

/** Raw POST to the endpoint; returns status and parsed JSON body. */
async function post(
  path: string,
  body: string | unknown,
  opts: { base64?: boolean; auth?: string | null; target?: Pick<UpstashEndpointHandle, "url" | "token"> } = {},
): Promise<{ status: number; json: any; text: string }> {
  const target = opts.target ?? ep;
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const auth = opts.auth === undefined ? `Bearer ${target.token}` : opts.auth;
  if (auth !== null) headers.Authorization = auth;
  if (opts.base64) headers["Upstash-Encoding"] = "base64";
  const res = await fetch(target.url + path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: JSON.parse(text), text };
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const sha1 = (s: string) => createHash("sha1").update(s, "utf8").digest("hex");

beforeAll(async () => {
  const libraryScripts = await ratelimitScripts(async (rl) => {
    for (const limiter of [Ratelimit.slidingWindow(5, "10 s"), Ratelimit.fixedWindow(5, "10 s")]) {
      await rl(limiter).limit("x");
      await rl(limiter).getRemaining("x");
      await rl(limiter).resetUsedTokens("x");
    }
  });
  wire = { commands: WIRE_COMMANDS, scripts: [...Object.values(SCRIPTS), ...libraryScripts] };
  shared = await getRedisUrl();
  ep = await startUpstashEndpoint(shared.url, wire);
  redis = new Redis({ url: ep.url, token: ep.token, enableTelemetry: false });
});

afterAll(async () => {
  for (const p of prefixes) await deleteKeysWithPrefix(shared.url, p);
  await ep?.close();
  await shared?.stop();
});

describe("@upstash/redis through the endpoint", () => {
  it("round-trips strings: unicode, number-looking values, the literal OK", async () => {
    const k = keys("strings");
    const exact = new Redis({ url: ep.url, token: ep.token, automaticDeserialization: false, enableTelemetry: false });
    const values = ["héllo wörld ✓ 🌍 日本語", "007", "1.50", "12345678901234567890", "-0", "OK", "", "  spaced  ", 'quote"back\\slash\nnewline'];
    for (const [i, v] of values.entries()) {
      expect(await redis.set(k(`s${i}`), v)).toBe("OK");
      expect(await exact.get(k(`s${i}`))).toBe(v);
    }
    // The default client JSON-parses replies; it keeps strings whose number form would differ.
    expect(await redis.get(k("s0"))).toBe("héllo wörld ✓ 🌍 日本語");
    expect(await redis.get(k("s1"))).toBe("007");
    expect(await redis.get(k("s2"))).toBe("1.50");
    expect(await redis.get(k("s3"))).toBe("12345678901234567890");
    expect(await redis.get(k("s5"))).toBe("OK");
    expect(await redis.get(k("missing"))).toBeNull();
    expect(await redis.strlen(k("s0"))).toBe(Buffer.byteLength(values[0], "utf8"));
  });

  it("serializes JSON objects on set and parses them on get", async () => {
    const k = keys("json");
    const doc = { name: "Zoë", n: 42, f: 1.5, ok: true, none: null, list: [1, "two", { three: 3 }], nested: { deep: { emoji: "🚀" } } };
    await redis.set(k("doc"), doc);
    expect(await redis.get(k("doc"))).toEqual(doc);
    await redis.set(k("arr"), [1, 2, 3], { ex: 60 });
    expect(await redis.get(k("arr"))).toEqual([1, 2, 3]);
    const ttl = await redis.ttl(k("arr"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("handles numbers: incr, incrby, decr, incrbyfloat", async () => {
    const k = keys("numbers");
    expect(await redis.incr(k("n"))).toBe(1);
    expect(await redis.incrby(k("n"), 41)).toBe(42);
    expect(await redis.decr(k("n"))).toBe(41);
    expect(await redis.incrbyfloat(k("f"), 1.25)).toBe(1.25);
    expect(await redis.incrbyfloat(k("f"), 0.5)).toBe(1.75);
    expect(await redis.get(k("n"))).toBe(41);
    await expect(
      redis
        .incr(k("missing-but-then-string"))
        .then(() => redis.set(k("str"), "abc"))
        .then(() => redis.incr(k("str"))),
    ).rejects.toThrow(/ERR value is not an integer or out of range/);
  });

  it("handles hashes", async () => {
    const k = keys("hashes");
    expect(await redis.hset(k("h"), { name: "Ada", age: 36, meta: { langs: ["en", "fr"] } })).toBe(3);
    expect(await redis.hget(k("h"), "name")).toBe("Ada");
    expect(await redis.hgetall(k("h"))).toEqual({ name: "Ada", age: 36, meta: { langs: ["en", "fr"] } });
    expect(await redis.hincrby(k("h"), "age", 1)).toBe(37);
    expect((await redis.hkeys(k("h"))).sort()).toEqual(["age", "meta", "name"]);
    expect(await redis.hgetall(k("none"))).toBeNull();
  });

  it("handles lists, sets and sorted sets", async () => {
    const k = keys("collections");
    expect(await redis.rpush(k("l"), "a", "b", "c")).toBe(3);
    expect(await redis.lrange(k("l"), 0, -1)).toEqual(["a", "b", "c"]);
    expect(await redis.lpop(k("l"))).toBe("a");
    expect(await redis.sadd(k("s"), "x", "y", "y", "z")).toBe(3);
    expect((await redis.smembers(k("s"))).sort()).toEqual(["x", "y", "z"]);
    expect(await redis.sismember(k("s"), "y")).toBe(1);
    expect(await redis.zadd(k("z"), { score: 2, member: "two" }, { score: 1, member: "one" }, { score: 3.5, member: "three" })).toBe(3);
    expect(await redis.zrange(k("z"), 0, -1)).toEqual(["one", "two", "three"]);
    expect(await redis.zrange(k("z"), 0, -1, { withScores: true })).toEqual(["one", 1, "two", 2, "three", 3.5]);
    expect(await redis.zscore(k("z"), "three")).toBe(3.5);
  });

  it("runs pipelines, with per-command errors", async () => {
    const k = keys("pipeline");
    const p = redis.pipeline();
    p.set(k("a"), "1");
    p.incr(k("a"));
    p.get(k("a"));
    p.rpush(k("l"), "x", "y");
    p.lrange(k("l"), 0, -1);
    expect(await p.exec()).toEqual(["OK", 2, 2, 2, ["x", "y"]]);

    const bad = redis.pipeline();
    bad.set(k("s"), "text");
    bad.incr(k("s"));
    bad.get(k("s"));
    await expect(bad.exec()).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);

    const kept = redis.pipeline();
    kept.set(k("s2"), "text");
    kept.incr(k("s2"));
    kept.get(k("s2"));
    expect(await kept.exec({ keepErrors: true })).toEqual([
      { result: "OK", error: undefined },
      { result: undefined, error: "ERR value is not an integer or out of range" },
      { result: "text", error: undefined },
    ]);
  });

  it("runs multi/exec transactions", async () => {
    const k = keys("multi");
    const tx = redis.multi();
    tx.set(k("a"), "10");
    tx.incrby(k("a"), 5);
    tx.get(k("a"));
    tx.hset(k("h"), { f: "v" });
    tx.hgetall(k("h"));
    expect(await tx.exec()).toEqual(["OK", 15, 15, 1, { f: "v" }]);
  });

  it("runs eval and evalsha", async () => {
    const k = keys("eval");
    const script = SCRIPTS.setGet;
    expect(await redis.eval(script, [k("x")], ["val", 41])).toEqual([k("x"), "val", 42]);
    const sha = await redis.scriptLoad(script);
    expect(sha).toBe(sha1(script));
    expect(await redis.evalsha(sha, [k("y")], ["other", 1])).toEqual([k("y"), "other", 2]);
    expect(await redis.scriptExists(sha, "0".repeat(40))).toEqual([1, 0]);
  });

  it("passes NOSCRIPT through for an unknown sha", async () => {
    await expect(redis.evalsha("f".repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
  });

  it("runs scripts whose shebang has flags Redis 7.0 does not know", async () => {
    const k = keys("shebang");
    expect(await redis.eval(SCRIPTS.unknownFlag, [k("a")], ["v"])).toEqual([k("a"), "v"]);
    // Known flags survive: no-writes still forbids writes.
    await expect(redis.eval(SCRIPTS.noWrites, [k("b")], [])).rejects.toThrow(/Write commands are not allowed from read-only scripts/);
    expect(await redis.exists(k("b"))).toBe(0);
    // The dropped shebang keeps its line, so Lua error line numbers match the client's script.
    await expect(redis.eval(SCRIPTS.boom, [], [])).rejects.toThrow(/user_script:3: boom/);
  });

  it("SCRIPT LOAD of a rewritten script answers the client's sha, and EVALSHA/SCRIPT EXISTS accept it", async () => {
    const k = keys("scriptload");
    const script = SCRIPTS.incrby;
    const clientSha = sha1(script);
    expect(await redis.scriptExists(clientSha)).toEqual([1]); // an allowed script: loaded when the endpoint started
    expect(await redis.scriptExists(sha1(`${script}\n-- not allowed`))).toEqual([0]);
    expect(await redis.scriptLoad(script)).toBe(clientSha);
    expect(await redis.scriptExists(clientSha)).toEqual([1]);
    expect(await redis.evalsha(clientSha, [k("n")], [5])).toBe(5);
    expect(await redis.evalsha(clientSha.toUpperCase(), [k("n")], [2])).toBe(7);
    // Also inside pipelines and transactions.
    const p = redis.pipeline();
    p.evalsha(clientSha, [k("n")], [1]);
    p.scriptExists(clientSha);
    expect(await p.exec()).toEqual([8, [1]]);
    const tx = redis.multi();
    tx.scriptLoad(script);
    tx.evalsha(clientSha, [k("n")], [2]);
    expect(await tx.exec()).toEqual([clientSha, 10]);
  });

  it("rejects a wrong token", async () => {
    const wrong = new Redis({ url: ep.url, token: "not-the-token-but-just-as-long-as-one", enableTelemetry: false, retry: false });
    await expect(wrong.get("anything")).rejects.toThrow(/Unauthorized/);
  });
});

describe("wire format", () => {
  it("answers plain JSON without Upstash-Encoding", async () => {
    const k = keys("wire-plain");
    expect(await post("/", ["SET", k("a"), "héllo"])).toEqual({ status: 200, json: { result: "OK" }, text: '{"result":"OK"}' });
    expect((await post("/", ["GET", k("a")])).text).toBe('{"result":"héllo"}');
    expect((await post("/", ["INCR", k("n")])).text).toBe('{"result":1}');
    expect((await post("/", ["GET", k("missing")])).text).toBe('{"result":null}');
    await post("/", ["RPUSH", k("l"), "a", 2, true]);
    expect((await post("/", ["LRANGE", k("l"), 0, -1])).text).toBe('{"result":["a","2","true"]}');
    expect((await post("/", ["PING"])).text).toBe('{"result":"PONG"}');
    const err = await post("/", ["INCR", k("a")]);
    expect(err.status).toBe(400);
    expect(err.json).toEqual({ error: "ERR value is not an integer or out of range" });
    const unknown = await post("/", ["NOSUCHCOMMAND", "x"]);
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({ error: `ERR command "NOSUCHCOMMAND" is not allowed on this endpoint` });
  });

  it("base64-encodes every string with Upstash-Encoding: base64, except the status OK", async () => {
    const k = keys("wire-b64");
    expect((await post("/", ["SET", k("ok"), "OK"], { base64: true })).text).toBe('{"result":"OK"}');
    expect((await post("/", ["GET", k("ok")], { base64: true })).json).toEqual({ result: b64("OK") });
    expect((await post("/", ["PING"], { base64: true })).json).toEqual({ result: b64("PONG") });
    expect((await post("/", ["TYPE", k("ok")], { base64: true })).json).toEqual({ result: b64("string") });
    expect((await post("/", ["INCR", k("n")], { base64: true })).json).toEqual({ result: 1 });
    expect((await post("/", ["GET", k("nothing")], { base64: true })).json).toEqual({ result: null });
    const nested = await post("/", ["EVAL", SCRIPTS.nested, 0], { base64: true });
    expect(nested.json).toEqual({ result: [1, b64("x"), [b64("y"), 2, [b64("z")]], null] });
    const piped = await post(
      "/pipeline",
      [
        ["SET", k("p"), "ü"],
        ["GET", k("p")],
        ["INCR", k("p")],
      ],
      { base64: true },
    );
    expect(piped.json).toEqual([{ result: "OK" }, { result: b64("ü") }, { error: "ERR value is not an integer or out of range" }]);
  });

  it("is binary safe: bytes written by another client come back exact in base64", async () => {
    const k = keys("binary");
    const bytes = Buffer.from([0x00, 0xff, 0x80, 0x0a, 0xc3, 0x28, 0xfe]);
    const direct = createClient({ url: shared.url, RESP: 2 });
    direct.on("error", () => {});
    await direct.connect();
    try {
      await direct.sendCommand(["SET", k("bin"), bytes]);
      await direct.sendCommand(["RPUSH", k("binl"), bytes, "plain"]);
    } finally {
      direct.destroy();
    }
    expect((await post("/", ["GET", k("bin")], { base64: true })).json).toEqual({ result: bytes.toString("base64") });
    expect((await post("/", ["LRANGE", k("binl"), 0, -1], { base64: true })).json).toEqual({ result: [bytes.toString("base64"), b64("plain")] });
  });

  it("runs /multi-exec atomically: a command refused while queueing discards the whole transaction", async () => {
    const k = keys("wire-multi");
    const res = await post("/multi-exec", [["SET", k("a"), "1"], ["GET"], ["INCR", k("b")]]);
    expect(res.status).toBe(200);
    expect(res.json).toEqual([
      { error: "EXECABORT Transaction discarded because of previous errors." },
      { error: "ERR wrong number of arguments for 'get' command" },
      { error: "EXECABORT Transaction discarded because of previous errors." },
    ]);
    expect((await post("/", ["EXISTS", k("a"), k("b")])).json).toEqual({ result: 0 });
    // Runtime errors stay per command and the rest commits.
    const ok = await post("/multi-exec", [
      ["SET", k("a"), "x"],
      ["INCR", k("a")],
      ["SET", k("b"), "y"],
    ]);
    expect(ok.json).toEqual([{ result: "OK" }, { error: "ERR value is not an integer or out of range" }, { result: "OK" }]);
    expect((await post("/", ["GET", k("b")])).json).toEqual({ result: "y" });
  });

  it("refuses commands that would change the shared connection's state", async () => {
    for (const cmd of [["MULTI"], ["SUBSCRIBE", "ch"], ["SELECT", "1"], ["CLIENT", "REPLY", "OFF"]]) {
      const res = await post("/", cmd);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/not supported on this endpoint/);
    }
    expect((await post("/", ["MULTI"])).json.error).toMatch(/\/multi-exec/);
    expect((await post("/pipeline", [["PING"], ["WATCH", "x"]])).json).toEqual([{ result: "PONG" }, { error: expect.stringMatching(/WATCH is not supported/) }]);
  });

  it("runs blocking commands on their own connection so other requests keep flowing", async () => {
    const k = keys("blocking");
    const started = Date.now();
    const blpop = post("/", ["BLPOP", k("q"), 5]);
    await new Promise((r) => setTimeout(r, 100));
    expect((await post("/", ["SET", k("other"), "v"])).json).toEqual({ result: "OK" });
    expect(Date.now() - started).toBeLessThan(2_000);
    await post("/", ["RPUSH", k("q"), "job"]);
    expect((await blpop).json).toEqual({ result: [k("q"), "job"] });
    expect((await post("/", ["BLPOP", k("empty"), "0.1"])).json).toEqual({ result: null });
  });

  it("answers 401 with a JSON error without a valid bearer token", async () => {
    for (const auth of [null, "Bearer wrong", `Basic ${ep.token}`, `Bearer ${ep.token}x`, "Bearer"]) {
      const res = await post("/", ["PING"], { auth });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: expect.stringMatching(/Unauthorized/) });
    }
    expect((await post("/", ["PING"], { auth: `bearer ${ep.token}` })).json).toEqual({ result: "PONG" });
  });

  it("answers 400 for malformed bodies", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ["/", "not json", /not valid JSON/],
      ["/", '{"cmd":"GET"}', /non-empty JSON array/],
      ["/", "[]", /non-empty JSON array/],
      ["/", '["GET", {"k": 1}]', /argument 1 must be a string, number or boolean, got object/],
      ["/", '["SET", "k", null]', /got null/],
      ["/pipeline", '["GET", "k"]', /command 0 must be a non-empty JSON array/],
      ["/pipeline", "[]", /non-empty JSON array of commands/],
      ["/multi-exec", "{", /not valid JSON/],
    ];
    for (const [path, body, message] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${body}`).toBe(400);
      expect(res.json.error).toMatch(message);
    }
  });

  it("answers 413 for bodies over the limit and 404 elsewhere", async () => {
    const small = await startUpstashEndpoint(shared.url, { ...wire, maxBodyBytes: 1024 });
    try {
      const big = await post("/", ["SET", "k", "x".repeat(2048)], { target: small });
      expect(big.status).toBe(413);
      expect(big.json.error).toMatch(/larger than 1024 bytes/);
      expect((await post("/", ["PING"], { target: small })).json).toEqual({ result: "PONG" });
      const nowhere = await post("/nowhere", ["PING"], { target: small });
      expect(nowhere.status).toBe(404);
      expect(nowhere.json.error).toMatch(/not found/);
    } finally {
      await small.close();
    }
  });
});

describe("@upstash/ratelimit through the endpoint", () => {
  for (const [name, limiter] of [
    ["slidingWindow", Ratelimit.slidingWindow(5, "10 s")],
    ["fixedWindow", Ratelimit.fixedWindow(5, "10 s")],
  ] as const) {
    it(`${name}: allows exactly 5 of 8, reports and resets remaining tokens`, async () => {
      const k = keys(`ratelimit-${name}`);
      const rl = new Ratelimit({ redis, limiter, prefix: k("rl"), ephemeralCache: false, timeout: 0 });
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await rl.limit("user-1"));
      expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false, false, false]);
      expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0, 0]);
      expect(results.every((r) => r.limit === 5 && r.reason === undefined)).toBe(true);
      expect((await rl.getRemaining("user-1")).remaining).toBe(0);
      expect((await rl.getRemaining("user-2")).remaining).toBe(5);
      await rl.resetUsedTokens("user-1");
      expect((await rl.getRemaining("user-1")).remaining).toBe(5);
      expect((await rl.limit("user-1")).success).toBe(true);
    });
  }

  it("runs the library's EVALSHA from the first call (scripts loaded at start); after a Redis restart falls back to EVAL once", async () => {
    // A private server so INFO commandstats counts only this test.
    const priv = await startPrivateRedis();
    const e = await startUpstashEndpoint(priv.url, wire);
    try {
      const client = new Redis({ url: e.url, token: e.token, enableTelemetry: false });
      // An hour's window: the test restarts Redis and must not cross into the next window.
      const rl = new Ratelimit({ redis: client, limiter: Ratelimit.fixedWindow(5, "1 h"), ephemeralCache: false, timeout: 0 });
      let allowed = 0;
      for (let i = 0; i < 8; i++) if ((await rl.limit("ip-1")).success) allowed++;
      expect(allowed).toBe(5);
      const stats = await commandStats(priv.url);
      expect(stats.eval).toBeUndefined();
      expect(stats.evalsha).toEqual({ calls: 8, failed: 0 });

      // A fresh Redis has no scripts: the first EVALSHA answers NOSCRIPT, the client sends the text once.
      await priv.restart();
      await expect.poll(async () => (await rl.limit("ip-2").catch(() => null))?.success, { timeout: 10_000 }).toBe(true);
      for (let i = 0; i < 7; i++) if ((await rl.limit("ip-2")).success) allowed++;
      expect(allowed).toBe(5 + 4);
      const after = await commandStats(priv.url);
      expect(after.eval).toEqual({ calls: 1, failed: 0 });
      expect(after.evalsha?.failed).toBe(1);
    } finally {
      await e.close();
      await priv.stop();
    }
  });
});

describe("when Redis goes away", () => {
  it("answers 503 at once while Redis is down and recovers when it is back", async () => {
    const priv = await startPrivateRedis();
    const e = await startUpstashEndpoint(priv.url, wire);
    try {
      expect((await post("/", ["SET", "k", "v"], { target: e })).json).toEqual({ result: "OK" });
      await priv.stop();
      const started = Date.now();
      const down = await post("/", ["GET", "k"], { target: e });
      expect(down.status).toBe(503);
      expect(down.json.error).toMatch(/^ERR Redis unavailable/);
      expect((await post("/pipeline", [["PING"]], { target: e })).status).toBe(503);
      expect((await post("/multi-exec", [["PING"]], { target: e })).status).toBe(503);
      expect((await post("/", ["BLPOP", "q", 1], { target: e })).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(2_000);
      await priv.restart();
      let back: { status: number; json: any } | undefined;
      for (let i = 0; i < 100 && back?.status !== 200; i++) {
        back = await post("/", ["SET", "k", "again"], { target: e });
        if (back.status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(back?.json).toEqual({ result: "OK" });
    } finally {
      await e.close();
      await priv.stop();
    }
  });
});

describe("scripts/upstash-endpoint.ts", () => {
  const run = (env: Record<string, string>) =>
    spawn("node_modules/.bin/tsx", ["scripts/upstash-endpoint.ts"], {
      env: { ...process.env, UPSTASH_ENDPOINT_TOKEN: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  const exitOf = (child: ReturnType<typeof run>) => new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const CLI_TOKEN = "cli-token-0123456789abcdef0123456789";

  it("refuses to start with a token shorter than 32 characters", async () => {
    const child = run({ UPSTASH_ENDPOINT_TOKEN: "x".repeat(31), REDIS_URL: shared.url });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    expect(await exitOf(child)).toBe(1);
    expect(stderr).toMatch(/UPSTASH_ENDPOINT_TOKEN is 31 characters: it must be at least 32/);
  });

  it("refuses to start without UPSTASH_ENDPOINT_TOKEN", async () => {
    const child = run({});
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    expect(await exitOf(child)).toBe(1);
    expect(stderr).toMatch(/UPSTASH_ENDPOINT_TOKEN/);
  });

  it("serves the endpoint and exits cleanly on Ctrl-C", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const child = run({ UPSTASH_ENDPOINT_TOKEN: CLI_TOKEN, REDIS_URL: shared.url, PORT: String(port), HOST: "127.0.0.1" });
    const exited = exitOf(child);
    try {
      await new Promise<void>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          if (out.includes('"msg":"listening"')) resolve();
        });
        child.once("exit", (code) => reject(new Error(`exited early (${code}): ${out}`)));
      });
      const cli = { url: `http://127.0.0.1:${port}`, token: CLI_TOKEN, close: async () => {} };
      expect((await post("/", ["PING"], { target: cli })).json).toEqual({ result: "PONG" });
      expect((await post("/", ["PING"], { target: cli, auth: "Bearer nope" })).status).toBe(401);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });
});

describe("stripUnknownShebangFlags", () => {
  it("keeps known flags, drops unknown ones, and drops an emptied shebang but not its newline", () => {
    expect(stripUnknownShebangFlags("#!lua flags=allow-key-locking\nreturn 1")).toBe("\nreturn 1");
    expect(stripUnknownShebangFlags("#!lua flags=no-writes,allow-key-locking\nreturn 1")).toBe("#!lua flags=no-writes\nreturn 1");
    expect(stripUnknownShebangFlags("#!lua flags=no-writes,allow-oom\nreturn 1")).toBe("#!lua flags=no-writes,allow-oom\nreturn 1");
    expect(stripUnknownShebangFlags("#!lua\nreturn 1")).toBe("#!lua\nreturn 1");
    expect(stripUnknownShebangFlags("return 1")).toBe("return 1");
    expect(stripUnknownShebangFlags("#!lua name=lib flags=allow-key-locking\nreturn 1")).toBe("#!lua name=lib\nreturn 1");
  });
});

/** calls and failed_calls per command from INFO commandstats. */
async function commandStats(url: string): Promise<Record<string, { calls: number; failed: number }>> {
  const c = createClient({ url, RESP: 2 });
  c.on("error", () => {});
  await c.connect();
  try {
    const info = String(await c.sendCommand(["INFO", "commandstats"]));
    const out: Record<string, { calls: number; failed: number }> = {};
    for (const m of info.matchAll(/cmdstat_([^:]+):calls=(\d+),.*?failed_calls=(\d+)/g)) out[m[1]] = { calls: Number(m[2]), failed: Number(m[3]) };
    return out;
  } finally {
    c.destroy();
  }
}
