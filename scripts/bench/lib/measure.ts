// An HTTP case's row in the result: run the load, keep throughput and latencies.
import { readFileSync } from "node:fs";
import { throughputOf, type HttpCase } from "../result.ts";
import type { Ctx } from "./context.ts";
import { type LoadSpec, runLoad, statsOf } from "./load.ts";
import type { Child } from "./procs.ts";

const PROBLEM = /"level":"(warn|error)"/;

/** Warnings and errors a server logged (JSON lines) from line `from` on: how many, and the last one's gist. */
export function problemsLogged(server: Child, from: number): { lines: number; count: number; last: string } {
  let lines: string[] = [];
  try {
    lines = readFileSync(server.log, "utf8").split("\n");
  } catch {
    // no log yet
  }
  const hits = lines.slice(from).filter((l) => PROBLEM.test(l));
  let last = "";
  try {
    const j = JSON.parse(hits.at(-1) ?? "{}") as { msg?: string; error?: string | { message?: string } };
    const err = typeof j.error === "string" ? j.error : j.error?.message;
    last = [j.msg, err].filter(Boolean).join(": ").slice(0, 120);
  } catch {
    last = (hits.at(-1) ?? "").slice(0, 120);
  }
  return { lines: lines.length, count: hits.length, last };
}

export async function measureHttp(
  ctx: Ctx,
  c: { id: string; label: string; note?: string },
  spec: Omit<LoadSpec, "connections" | "warmupS" | "durationS">,
  server?: Child,
): Promise<HttpCase> {
  ctx.log(`${c.label}: ${ctx.warmupS} s warm-up, ${ctx.durationS} s measured`);
  const before = server ? problemsLogged(server, 0).lines : 0;
  const sample = await runLoad({ ...spec, connections: ctx.connections, warmupS: ctx.warmupS, durationS: ctx.durationS });
  const s = statsOf(sample);
  const odd = Object.entries(s.statuses).filter(([code]) => !code.startsWith("2") && code !== "304");
  const logged = server ? problemsLogged(server, Math.max(0, before - 1)) : undefined;
  const notes = [
    c.note,
    odd.length ? `answers ${odd.map(([code, n]) => `${code}×${n}`).join(", ")}` : undefined,
    logged?.count ? `${logged.count} warnings/errors logged (warm-up included), the last: ${logged.last}` : undefined,
  ].filter(Boolean);
  const row: HttpCase = {
    id: c.id,
    label: c.label,
    ...throughputOf(s),
    ...(notes.length ? { note: notes.join("; ") } : {}),
  };
  ctx.result.http.push(row);
  ctx.log(`  ${Math.round(row.rps)} req/s, p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms${row.non2xx + row.errors ? `, ${row.non2xx + row.errors} not 2xx` : ""}`);
  return row;
}
