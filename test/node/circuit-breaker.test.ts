// Degraded mode: the cache and the rate limiter talk to a real redis-server (our own, never the
// shared one) through the Upstash-compatible endpoint. Stopped with SIGSTOP it answers nothing:
// reads keep answering 200 from the database, both breakers open (logged, counted in /metrics,
// shown by /ready); after SIGCONT a probe finds Redis again and they close by themselves.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { ManualClock } from "../../src/deps/clock.ts";
import { UpstashCache } from "../../src/deps/cache/upstash.ts";
import { CircuitBreaker, CircuitOpenError, DEFAULT_OPEN_MS, type CircuitTransition } from "../../src/lib/breaker.ts";
import { nodeServices, TEST_ENV } from "../helpers/node-app.ts";
import { seedApiKey, seedUser } from "../helpers/identity-fixtures.ts";
import { seedRequest } from "../helpers/requests-fixtures.ts";
import { startPrivateRedis, startUpstashEndpoint, type PrivateRedis, type UpstashEndpointHandle } from "../helpers/redis.ts";

describe("CircuitBreaker", () => {
  it("opens after 3 failures in a row, refuses without calling, probes once after the open time, closes on success", async () => {
    let now = 0;
    const transitions: CircuitTransition[] = [];
    const b = new CircuitBreaker({ backend: "cache", now: () => now, onTransition: (t) => transitions.push(t) });
    let calls = 0;
    const fail = () =>
      b.run(async () => {
        calls++;
        throw new Error("down");
      });
    const ok = () =>
      b.run(async () => {
        calls++;
        return "up";
      });
    await expect(fail()).rejects.toThrow("down");
    await expect(ok()).resolves.toBe("up"); // a success in between starts the count again
    for (let i = 0; i < 3; i++) await expect(fail()).rejects.toThrow("down");
    expect(b.state).toBe("open");
    expect(calls).toBe(5);
    await expect(ok()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toBe(5);
    now += DEFAULT_OPEN_MS;
    // Half-open: one probe at a time; others are refused while it runs.
    let release!: () => void;
    const probe = b.run(() => new Promise<string>((r) => (release = () => r("up"))));
    expect(b.state).toBe("half_open");
    await expect(ok()).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).resolves.toBe("up");
    expect(b.state).toBe("closed");
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(["closed>open", "open>half_open", "half_open>closed"]);
    expect(transitions[0]).toMatchObject({ backend: "cache", error: "down", consecutive_failures: 3 });
    expect(b.counts).toEqual({ opened: 1, half_opened: 1, closed: 1, short_circuited: 2 });
  });

  it("a failed probe opens it again for another open time", async () => {
    let now = 0;
    const b = new CircuitBreaker({ backend: "rate_limiter", now: () => now, failureThreshold: 1, openMs: 1000 });
    await expect(b.run(() => Promise.reject(new Error("x")))).rejects.toThrow("x");
    now += 1000;
    await expect(b.run(() => Promise.reject(new Error("still down")))).rejects.toThrow("still down");
    expect(b.state).toBe("open");
    now += 999;
    await expect(b.run(async () => 1)).rejects.toBeInstanceOf(CircuitOpenError);
    now += 1;
    await expect(b.run(async () => 1)).resolves.toBe(1);
    expect(b.snapshot()).toMatchObject({ state: "closed", consecutive_failures: 0, opened: 2 });
  });
});

describe("degraded mode with a hung Redis (SIGSTOP)", () => {
  let redis: PrivateRedis;
  let endpoint: UpstashEndpointHandle;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    endpoint = await startUpstashEndpoint(redis.url);
  });
  afterAll(async () => {
    redis?.resume();
    await endpoint?.close();
    await redis?.stop();
  });

  it("reads answer 200 from the database, the breakers open and close again by themselves", async () => {
    const clock = new ManualClock(new Date());
    const s = await nodeServices(
      {
        NETWORK_ROLE: "request",
        UPSTASH_REDIS_REST_URL: endpoint.url,
        UPSTASH_REDIS_REST_TOKEN: endpoint.token,
        AIRLOCK_RATE_LIMIT_ON_ERROR: "open",
        // Longer than the 200 ms default: on a busy test machine a healthy call must not count as a timeout.
        AIRLOCK_CACHE_TIMEOUT_MS: "1000",
        AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "1000",
      },
      { clock },
    );
    const app = createApp(s);
    const user = await seedUser(s);
    const { key } = await seedApiKey(s, user.id, { scopes: ["requests:read"] });
    const req = await seedRequest(s, user.id, { answered: true });
    const read = async () => {
      const res = await app.request(`/v1/requests/${req.id}/response`, { headers: { "x-api-key": key } }, {});
      expect(res.status).toBe(200);
      expect(((await res.json()) as { body: unknown }).body).toEqual({ a: "fixture" });
      return res.headers.get("x-cache");
    };
    const metrics = async () => {
      const res = await app.request("/metrics", { headers: { authorization: `Bearer ${TEST_ENV.AIRLOCK_METRICS_TOKEN}` } }, {});
      expect(res.status).toBe(200);
      return res.text();
    };
    const ready = async () => (await app.request("/ready", {}, {})).json() as Promise<Record<string, any>>;

    expect(await read()).toBe("miss");
    expect(await read()).toBe("hit");
    expect((await ready()).circuits).toMatchObject({ cache: { state: "closed" }, rate_limiter: { state: "closed" } });

    redis.pause();
    const outcomes: Array<string | null> = [];
    for (let i = 0; i < 6; i++) outcomes.push(await read());
    // The first reads wait out the timeouts (error); once 3 calls in a row failed (a read makes two,
    // the entry and its counter), the store is not asked any more (bypass).
    const errors = outcomes.filter((o) => o === "error").length;
    expect(errors).toBeGreaterThanOrEqual(1);
    expect(errors).toBeLessThanOrEqual(3);
    expect(outcomes).toEqual([...Array(errors).fill("error"), ...Array(6 - errors).fill("bypass")]);
    expect(s.cache.breaker?.state).toBe("open");
    expect(s.limiter.breaker?.state).toBe("open");

    const r = await ready();
    expect(r.status).toBe("ready");
    expect(r.checks.cache).toEqual({ ok: false, latency_ms: expect.any(Number), error: "circuit open: answered from the database" });
    expect(r.circuits.cache).toMatchObject({ state: "open", opened: 1 });
    expect(r.circuits.cache.consecutive_failures).toBeGreaterThanOrEqual(3);
    expect(r.circuits.cache.short_circuited).toBeGreaterThanOrEqual(6 - errors);
    expect(r.circuits.rate_limiter).toMatchObject({ state: "open", opened: 1 });
    const m = await metrics();
    expect(m).toContain('airlock_circuit_state{backend="cache",state="open"} 1');
    expect(m).toContain('airlock_circuit_state{backend="rate_limiter",state="open"} 1');
    expect(m).toContain('airlock_circuit_transitions_total{backend="cache",to="open"} 1');
    expect(m).toMatch(/airlock_circuit_short_circuited_total\{backend="cache"\} [1-9]/);
    expect(m).toContain(`airlock_response_cache_reads_total{outcome="bypass"} ${6 - errors}`);
    expect(m).toContain(`airlock_response_cache_reads_total{outcome="error"} ${errors}`);
    const opened = s.logger.entries.filter((e) => e.msg === "circuit opened");
    expect(opened.map((e) => e.backend).sort()).toEqual(["cache", "rate_limiter"]);
    // Each transition is one line; requests refused by an open circuit add none (the limiter makes one call per read).
    expect(s.logger.entries.filter((e) => e.msg === "rate limiter unavailable: request let through without a limit")).toHaveLength(3);

    redis.resume();
    // Redis answers again (checked beside the app, not through it), then the open time passes.
    const direct = new UpstashCache({ url: endpoint.url, token: endpoint.token }, "test:breaker:", { timeoutMs: 5000 });
    await direct.ping();
    clock.advance(DEFAULT_OPEN_MS);
    // This read carries the probes: the limiter's, and the cache entry's read.
    expect(await read()).toBe("hit");
    expect(s.cache.breaker?.state).toBe("closed");
    expect(s.limiter.breaker?.state).toBe("closed");
    expect(await read()).toBe("hit");
    expect((await ready()).circuits).toMatchObject({ cache: { state: "closed", opened: 1, closed: 1 }, rate_limiter: { state: "closed", closed: 1 } });
    expect(await metrics()).toContain('airlock_circuit_state{backend="cache",state="closed"} 1');
    expect(
      s.logger.entries
        .filter((e) => e.msg === "circuit closed")
        .map((e) => e.backend)
        .sort(),
    ).toEqual(["cache", "rate_limiter"]);
  });
});
