import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker, { type WorkerEnv } from "../../src/runtime/worker.ts";
import { CONTENT_TYPES } from "../../src/lib/metrics.ts";

const TOKEN = (env as unknown as Record<string, string>).AIRLOCK_METRICS_TOKEN;

async function get(path: string, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://airlock.test${path}`, { headers }), env as unknown as WorkerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("GET /metrics on workerd", () => {
  it("answers the Worker's own counters (this isolate) and D1's gauges, in both formats; refuses without credentials", async () => {
    for (let i = 0; i < 3; i++) expect((await get("/health")).status).toBe(200);
    const refused = await get("/metrics");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");

    const res = await get("/metrics", { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(CONTENT_TYPES.prometheus);
    const text = await res.text();
    expect(text).toContain("# TYPE airlock_http_requests_total counter\n");
    expect(text).toContain("# TYPE airlock_http_request_duration_seconds histogram\n");
    expect(text).toContain("# TYPE airlock_transfer_lag_seconds gauge\n");
    expect(value(text, 'airlock_http_requests_total{method="GET",route="/health",status="200"}')).toBeGreaterThanOrEqual(3);
    expect(value(text, 'airlock_http_requests_total{method="GET",route="/metrics",status="401"}')).toBeGreaterThanOrEqual(1);
    const pending = await env.DB.prepare("SELECT count(*) AS n FROM requests WHERE status IN ('submitted', 'exported', 'received', 'processing')").first<{ n: number }>();
    expect(value(text, "airlock_queue_depth")).toBe(pending!.n);
    expect(text).toMatch(/^airlock_info\{role="request",network_id="[a-z0-9-]+",peer_network_id="[a-z0-9-]+"\} 1$/m);

    const om = await get("/metrics", { authorization: `Bearer ${TOKEN}`, accept: "application/openmetrics-text; version=1.0.0" });
    expect(om.headers.get("content-type")).toBe(CONTENT_TYPES.openmetrics);
    // workerd warns on .text() of a type it does not know as text: decode the bytes.
    const omText = new TextDecoder().decode(await om.arrayBuffer());
    expect(omText).toContain("# TYPE airlock_http_requests counter\n");
    expect(omText.endsWith("# EOF\n")).toBe(true);
  });
});
