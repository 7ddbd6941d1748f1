import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess, type App } from "../http/router.ts";
import { ApiError, problemResponses } from "../errors.ts";
import { ping } from "../deps/db/database.ts";
import { withTimeout } from "../lib/http.ts";
import { activeAlerts } from "../alerts/store.ts";
import { breakersOf } from "../metrics/breakers.ts";

const Check = z.object({ ok: z.boolean(), latency_ms: z.number(), error: z.string().optional() });
const Warning = z.object({ alert: z.string(), since: z.string() });
const Circuit = z.object({
  state: z.enum(["closed", "open", "half_open"]),
  since: z.string(),
  consecutive_failures: z.number().int(),
  opened: z.number().int(),
  half_opened: z.number().int(),
  closed: z.number().int(),
  short_circuited: z.number().int(),
});
const Circuits = z
  .object({ cache: Circuit.optional(), rate_limiter: Circuit.optional() })
  .openapi({ description: "This process's circuit breakers in front of the cache and the rate limiter's backend (absent when they live in memory)" });
export const ReadySchema = z
  .object({
    status: z.literal("ready"),
    checks: z.object({ database: Check, cache: Check, batch_store: Check }),
    circuits: Circuits,
    /** Alerts firing (docs/alerts.md): worth a look, never a reason to take the network out of service. */
    warnings: z.array(Warning),
  })
  .openapi("Ready");
export type ReadyResponse = z.infer<typeof ReadySchema>;

const route = createRoute({
  method: "get",
  path: "/ready",
  operationId: "getReadiness",
  ...publicAccess(),
  tags: ["Operations"],
  summary: "Readiness: database, cache and batch store answer",
  description:
    "503 when a check fails. A cache whose circuit breaker is open does not make the network unready: reads are answered from the database " +
    "(degraded, shown in `checks.cache` and `circuits`) until the breaker finds the cache answering again.",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: ReadySchema } } },
    ...problemResponses(401, 503),
  },
});

const CHECK_TIMEOUT_MS = 2000;

async function check(name: string, fn: () => Promise<void>) {
  const t = performance.now();
  try {
    await withTimeout(fn(), CHECK_TIMEOUT_MS, name);
    return { ok: true, latency_ms: Math.round(performance.now() - t) };
  } catch (e) {
    return { ok: false, latency_ms: Math.round(performance.now() - t), error: e instanceof Error ? e.message : String(e) };
  }
}

export function registerReady(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    const [database, cache, batch_store] = await Promise.all([
      check("database", () => ping(s.db)),
      check("cache", () => s.cache.ping()),
      check("batch_store", () => s.batches.ping()),
    ]);
    const checks = { database, cache, batch_store };
    const circuits = Object.fromEntries(breakersOf(s).map((b) => [b.backend, b.snapshot()]));
    // Degraded, not down: with the cache's breaker open, reads go to the database without waiting for it.
    const bypassed = (name: string) => name === "cache" && s.cache.breaker !== undefined && s.cache.breaker.state !== "closed";
    const failed = Object.entries(checks).filter(([name, v]) => !v.ok && !bypassed(name));
    if (failed.length) {
      // Dependency errors are logged in full; the client learns which check failed, not internals.
      for (const [name, v] of failed) s.logger.log("error", "readiness check failed", { check: name, error: v.error, request_id: c.get("requestId") });
      throw new ApiError("not_ready", {
        detail: `failed check${failed.length > 1 ? "s" : ""}: ${failed.map(([n]) => n).join(", ")}`,
        extra: { checks: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, { ok: v.ok, latency_ms: v.latency_ms }])), circuits },
      });
    }
    // The database answered; should reading the alerts still fail, readiness does not depend on it.
    const firing = await activeAlerts(s).catch((e) => {
      s.logger.log("error", "reading alerts failed", { error: e instanceof Error ? e.message : String(e) });
      return [];
    });
    const warnings = firing.map((a) => ({ alert: a.name, since: a.since }));
    // The store's own error stays in the log; the client learns only that the circuit is open.
    const shown = Object.fromEntries(
      Object.entries(checks).map(([k, v]) => [k, v.ok ? v : { ok: false, latency_ms: v.latency_ms, error: "circuit open: answered from the database" }]),
    ) as typeof checks;
    if (!cache.ok) s.logger.log("warn", "readiness: cache bypassed", { error: cache.error, request_id: c.get("requestId") });
    return c.json({ status: "ready" as const, checks: shown, circuits, warnings }, 200);
  });
}
