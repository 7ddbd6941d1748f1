// Degraded mode: cached reads on Node with real Redis behind the Upstash-compatible endpoint,
// and the bench's redis-server stopped with SIGSTOP (a hung Redis: connections stay open, nothing
// answers) one second into the run. Counted from one second after the stop, so the first second of
// the outage (when a circuit breaker is still learning) is left out. /ready is read during the
// outage for a breaker's state.
import type { Case } from "../lib/context.ts";
import { cachedRead, expectCacheHit } from "../lib/airlock.ts";
import { runLoad, statsOf } from "../lib/load.ts";
import { airlockRedis, benchRedis } from "./servers.ts";
import { throughputOf } from "../result.ts";

const STOP_AT_S = 1;

/** The first member whose name mentions a breaker or circuit, anywhere in the document. */
export function findBreaker(doc: unknown, depth = 0): unknown {
  if (!doc || typeof doc !== "object" || depth > 6) return undefined;
  for (const [k, v] of Object.entries(doc)) {
    if (/breaker|circuit/i.test(k)) return v;
    const inner = findBreaker(v, depth + 1);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

async function readReady(url: string): Promise<{ status: number | null; breaker: string }> {
  try {
    const r = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(5_000) });
    const text = await r.text();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
    const b = findBreaker(doc);
    return { status: r.status, breaker: b === undefined ? "not present" : JSON.stringify(b).slice(0, 160) };
  } catch {
    return { status: null, breaker: "not present (no answer within 5 s)" };
  }
}

export const degraded: Case = {
  id: "degraded",
  label: "Degraded: cached reads with redis-server stopped (SIGSTOP)",
  uses: ["airlock-redis", "upstash-endpoint", "redis"],
  async run(ctx) {
    const server = await airlockRedis(ctx);
    const redis = await benchRedis(ctx);
    await expectCacheHit(server);
    const read = cachedRead(server);
    const fromS = STOP_AT_S + ctx.result.settings.degradedFromS;
    const durationS = fromS + ctx.durationS;
    ctx.log(`${this.label}: ${durationS} s, Redis stopped at ${STOP_AT_S} s, counted from ${fromS} s`);
    let ready: Promise<{ status: number | null; breaker: string }> | undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    let readyTimer: NodeJS.Timeout | undefined;
    try {
      const sample = await runLoad({
        url: read.url,
        headers: read.headers,
        connections: ctx.connections,
        warmupS: 0,
        durationS,
        onStart: () => {
          stopTimer = setTimeout(() => redis.child.signal("SIGSTOP"), STOP_AT_S * 1000);
          // Halfway through the counted part: the breaker, if any, has had time to open.
          readyTimer = setTimeout(() => (ready = readReady(server.url)), (fromS + ctx.durationS / 2) * 1000);
        },
      });
      // Probe reads while Redis is still stopped.
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const p = await read.probe().catch(() => ({ status: 0, cache: "no answer" }));
        outcomes.push(`${p.status} ${p.cache || "-"}`);
      }
      const r = (await ready) ?? { status: null, breaker: "not read" };
      const s = statsOf(sample, fromS);
      ctx.result.degraded = {
        stoppedAtS: STOP_AT_S,
        fromS: ctx.result.settings.degradedFromS,
        ...throughputOf(s),
        probeCache: outcomes.join(", "),
        breaker: r.breaker,
        readyStatus: r.status,
      };
      ctx.log(`  ${Math.round(s.rps)} req/s, p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms; /ready ${r.status}, breaker: ${r.breaker}`);
    } finally {
      clearTimeout(stopTimer);
      clearTimeout(readyTimer);
      redis.child.signal("SIGCONT");
    }
  },
};
