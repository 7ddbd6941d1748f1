// An HTTP case's row in the result: run the load, keep throughput and latencies.
import type { HttpCase } from "../result.ts";
import type { Ctx } from "./context.ts";
import { type LoadSpec, runLoad, statsOf } from "./load.ts";

export async function measureHttp(ctx: Ctx, c: { id: string; label: string; note?: string }, spec: Omit<LoadSpec, "connections" | "warmupS" | "durationS">): Promise<HttpCase> {
  ctx.log(`${c.label}: ${ctx.warmupS} s warm-up, ${ctx.durationS} s measured`);
  const sample = await runLoad({ ...spec, connections: ctx.connections, warmupS: ctx.warmupS, durationS: ctx.durationS });
  const s = statsOf(sample);
  const odd = Object.entries(s.statuses).filter(([code]) => !code.startsWith("2") && code !== "304");
  const notes = [c.note, odd.length ? `answers ${odd.map(([code, n]) => `${code}×${n}`).join(", ")}` : undefined].filter(Boolean);
  const row: HttpCase = {
    id: c.id,
    label: c.label,
    rps: s.rps,
    p50: s.p50,
    p99: s.p99,
    ok: s.ok,
    non2xx: s.non2xx,
    errors: s.errors,
    ...(notes.length ? { note: notes.join("; ") } : {}),
  };
  ctx.result.http.push(row);
  ctx.log(`  ${Math.round(row.rps)} req/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms${row.non2xx + row.errors ? `, ${row.non2xx + row.errors} not 2xx` : ""}`);
  return row;
}
