// The Upstash client (src/deps/upstash.ts) with both transports, fetch and Node's keep-alive
// node:http (src/runtime/node/upstash-http.ts), against the Upstash-compatible endpoint and real
// Redis; every HTTP request and TCP connection counted at the endpoint. Then a cached read through
// the app: how many endpoint requests it costs, alone and ten at once.
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchPost, upstashClient, type UpstashTransport } from "../../src/deps/upstash.ts";
import { UpstashRateLimiter } from "../../src/deps/ratelimit/upstash.ts";
import { onPremUpstashTransport } from "../../src/runtime/node/upstash-http.ts";
import { nodeApp } from "../helpers/node-app.ts";
import { seedApiKey, seedUser } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";
import { deleteKeysWithPrefix, getRedisUrl, requestsSeen, startUpstashEndpoint, uniquePrefix, type RedisHandle, type UpstashEndpointHandle } from "../helpers/redis.ts";

let shared: RedisHandle;
let ep: UpstashEndpointHandle;
let hanging: Server;
const sockets = new Set<Socket>();
const prefix = uniquePrefix("upstash-client");
const networkIds: string[] = [];

beforeAll(async () => {
  shared = await getRedisUrl();
  ep = await startUpstashEndpoint(shared.url);
  hanging = createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  });
  await new Promise<void>((r) => hanging.listen(0, "127.0.0.1", r));
});

afterAll(async () => {
  await deleteKeysWithPrefix(shared.url, prefix);
  for (const id of networkIds) await deleteKeysWithPrefix(shared.url, `airlock:${id}:`);
  for (const sock of sockets) sock.destroy();
  await new Promise<void>((r) => (hanging ? hanging.close(() => r()) : r()));
  await ep?.close();
  await shared?.stop();
});

/** What reached the endpoint while `fn` ran. */
async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; requests: Record<string, number>; total: number; connections: number }> {
  const before = { ...ep.seen.requests };
  const [total0, conn0] = [requestsSeen(ep), ep.seen.connections];
  const value = await fn();
  const requests = Object.fromEntries(
    Object.entries(ep.seen.requests)
      .map(([p, n]) => [p, n - (before[p] ?? 0)])
      .filter(([, n]) => n !== 0),
  );
  return { value, requests, total: requestsSeen(ep) - total0, connections: ep.seen.connections - conn0 };
}

const transports: [string, () => UpstashTransport][] = [
  ["fetch, commands of one job together", () => ({ post: fetchPost })],
  ["node:http keep-alive, commands of one event-loop turn together", () => onPremUpstashTransport("node")],
];

describe.each(transports)("Upstash client over %s", (label, transport) => {
  const k = (name: string) => `${prefix}${label.split(",")[0]}:${name}`;
  const client = (o: { url?: string; token?: string; timeoutMs?: number } = {}) =>
    upstashClient({ url: o.url ?? ep.url, token: o.token ?? ep.token }, o.timeoutMs ?? 5_000, transport());

  it("sends commands issued together as one /pipeline request, each with its own result or error", async () => {
    const redis = client();
    const { value, requests } = await counted(() =>
      Promise.allSettled([
        redis.set(k("a"), "first"),
        redis.get(k("a")),
        redis.hincrby(k("h"), "reads", 2),
        redis.incr(k("n")),
        redis.evalsha("0000000000000000000000000000000000000000", [], []),
        redis.flushall(),
      ]),
    );
    expect(requests).toEqual({ "/pipeline": 1 });
    expect(value.slice(0, 4)).toEqual([
      { status: "fulfilled", value: "OK" },
      { status: "fulfilled", value: "first" },
      { status: "fulfilled", value: 2 },
      { status: "fulfilled", value: 1 },
    ]);
    expect(value[4]).toMatchObject({ status: "rejected", reason: { message: expect.stringContaining("NOSCRIPT") } });
    expect(value[5]).toMatchObject({ status: "rejected", reason: { message: "ERR FLUSHALL is not allowed on this endpoint" } });
    // What Redis holds, read back through a request of its own.
    expect(await redis.mget(k("a"), k("n"))).toEqual(["first", "1"]);
    expect(await redis.hgetall(k("h"))).toEqual(["reads", "2"]);
  });

  it("serves one request after another over one kept-alive connection", async () => {
    const redis = client();
    await redis.set(k("ka"), "0");
    const { value, total, connections } = await counted(async () => {
      const seen: unknown[] = [];
      for (let i = 0; i < 40; i++) seen.push(await redis.incr(k("ka")));
      return seen;
    });
    expect(value).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(total).toBe(40);
    expect(connections).toBe(0); // the connection of the SET before, kept alive
  });

  it("splits more than 1000 commands issued at once into requests of at most 1000", async () => {
    const redis = client();
    await redis.set(k("many"), "x");
    const { value, requests } = await counted(() => Promise.all(Array.from({ length: 1_500 }, () => redis.get(k("many")))));
    expect(requests).toEqual({ "/pipeline": 2 });
    expect(new Set(value)).toEqual(new Set(["x"]));
    expect(value).toHaveLength(1_500);
  });

  it("sends MULTI/EXEC as it was built, on its own", async () => {
    const redis = client();
    const { value, requests } = await counted(() => Promise.all([redis.multi().incr(k("tx")).expire(k("tx"), 60).exec(), redis.get(k("tx"))]));
    expect(requests).toEqual({ "/multi-exec": 1, "/pipeline": 1 });
    expect(value[0]).toEqual([1, 1]);
  });

  it("fails every command of a refused request with the endpoint's reason", async () => {
    const redis = client({ token: "x".repeat(40) });
    const out = await Promise.allSettled([redis.get(k("a")), redis.incr(k("n"))]);
    expect(out.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    for (const o of out) expect((o as PromiseRejectedResult).reason.message).toBe("Unauthorized: missing or invalid bearer token");
    expect(await client().get(k("n"))).toBe("1"); // nothing ran
  });

  it("gives up on a server that never answers with a TimeoutError", async () => {
    const redis = client({ url: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`, timeoutMs: 150 });
    const out = await Promise.allSettled([redis.get(k("a")), redis.get(k("b"))]);
    for (const o of out) expect(o).toMatchObject({ status: "rejected", reason: { name: "TimeoutError" } });
  });
});

describe("the rate limiter on a freshly started endpoint", () => {
  it("decides the first request in one endpoint request: its scripts were loaded at start, no NOSCRIPT and no EVAL", async () => {
    const fresh = await startUpstashEndpoint(shared.url);
    try {
      const limiter = new UpstashRateLimiter({ url: fresh.url, token: fresh.token, namespace: `${prefix}rl:`, timeoutMs: 5_000, transport: onPremUpstashTransport("node") });
      const windows = [
        { name: "minute", seconds: 60, limit: 10 },
        { name: "hour", seconds: 3_600, limit: 100 },
        { name: "day", seconds: 86_400, limit: 1_000 },
      ];
      const first = await limiter.limit("user-1", windows);
      expect(first.allowed).toBe(true);
      expect(first.windows.map((w) => w.remaining)).toEqual([9, 99, 999]);
      expect(fresh.seen.requests).toEqual({ "/pipeline": 1 });
      expect(limiter.counters).toMatchObject({ errors: 0, timeouts: 0 });
    } finally {
      await fresh.close();
    }
  });
});

describe("a cached read through the app (Node services, limiter and cache on the endpoint)", () => {
  const network = async () => {
    const id = `airlock-upstash-client-${crypto.randomUUID().slice(0, 8)}`;
    networkIds.push(id);
    const { app, services: s } = await nodeApp({
      NETWORK_ROLE: "request",
      AIRLOCK_NETWORK_ID: id,
      UPSTASH_REDIS_REST_URL: ep.url,
      UPSTASH_REDIS_REST_TOKEN: ep.token,
      AIRLOCK_CACHE_TIMEOUT_MS: "5000",
      AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "5000",
    });
    const user = await seedUser(s);
    const { key } = await seedApiKey(s, user.id, { scopes: ["requests:read"] });
    const req = await seedRequest(s, user.id, { answered: true });
    const read = async () => {
      const res = await app.request(`/v1/requests/${req.id}/response`, { headers: { "x-api-key": key } }, {});
      return { status: res.status, cache: res.headers.get("x-cache"), limit: res.headers.get("ratelimit"), body: (await res.json()) as { request_id: string; body: unknown } };
    };
    return { read, requestId: req.id };
  };

  it("costs two endpoint requests: the limiter's three windows in one, the entry and its counter in the other", async () => {
    const { read, requestId } = await network();
    expect((await read()).cache).toBe("miss");
    const { value, requests } = await counted(read);
    expect(value).toMatchObject({ status: 200, cache: "hit", body: { request_id: requestId, body: { a: "fixture" } } });
    expect(value.limit).toMatch(/^"\w+";r=\d+;t=\d+$/);
    expect(requests).toEqual({ "/pipeline": 2 });
  });

  it("ten reads at once share requests: far fewer than two each", async () => {
    const { read } = await network();
    await read();
    const { value, total } = await counted(() => Promise.all(Array.from({ length: 10 }, read)));
    expect(value.map((v) => [v.status, v.cache])).toEqual(Array.from({ length: 10 }, () => [200, "hit"]));
    expect(total).toBeLessThanOrEqual(6);
  });
});
