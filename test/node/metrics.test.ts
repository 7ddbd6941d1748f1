// GET /metrics on both networks: who may scrape, what the gauges say against the database, the
// per-process counters after real traffic, and both formats as promtool reads them; the
// Prometheus rules file checked and unit-tested with promtool.
import { spawnSync } from "node:child_process";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { linkedNetworks, PASSWORD, statusOf } from "../helpers/link.ts";
import { carry, COURIER, type Net } from "../helpers/transfer.ts";
import { CONTENT_TYPES } from "../../src/lib/metrics.ts";
import { DEBIAN_PYTHON } from "../../scripts/pretest.ts";

const METRICS_TOKEN = "test-metrics-token-0123456789abcdef0123";
const OPENMETRICS = "application/openmetrics-text; version=1.0.0, text/plain; version=0.0.4; q=0.5";
const RULES = "deploy/prometheus/airlock.rules.yml";
const STRICT = "test/helpers/check-openmetrics.py";

const scrape = (n: Net, headers: Record<string, string>) => n.app.request("/metrics", { headers }, {});

/** Sample lines as `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
const key = (name: string, labels: Record<string, string> = {}) => {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return l.length ? `${name}{${l.join(",")}}` : name;
};

function promtool(args: string[], input?: string) {
  return spawnSync("promtool", args, { input, encoding: "utf8" });
}

const PENDING = sql`SELECT count(*) AS n FROM requests WHERE status IN ('submitted', 'exported', 'received', 'processing')`;
const pendingIn = async (n: Net) => Number((await n.services.db.orm.all<{ n: number }>(PENDING))[0].n);

describe("GET /metrics", () => {
  it("admins, operators and the metrics token scrape both networks; gauges match the database, counters the traffic; promtool lints the classic format, a strict parser reads OpenMetrics", async () => {
    const net = await linkedNetworks({ AIRLOCK_METRICS_TOKEN: METRICS_TOKEN, AIRLOCK_RATE_LIMITS: JSON.stringify({ user: { minute: 12 } }) });
    const { master, replica, r, tokens } = net;

    // Traffic: a request answered and carried back, its response read twice (a miss, then a hit).
    const sub = await r("/v1/requests", { token: tokens.user, body: { topic: "metrics", body: { q: 1 } } });
    expect(sub.status).toBe(202);
    await carry(replica, master);
    const ans = await net.m(`/v1/requests/${sub.body.id}/response`, { token: tokens.op, body: { body: { a: 1 } } });
    expect(ans.status).toBe(201);
    await carry(master, replica);
    for (const cache of ["miss", "hit"]) {
      const read = await r(`/v1/requests/${sub.body.id}/response`, { token: tokens.user });
      expect([read.status, read.headers.get("x-cache")]).toEqual([200, cache]);
    }
    // Two more pending: exported to the master (received there), not yet answered.
    for (const q of [2, 3]) expect((await r("/v1/requests", { token: tokens.user, body: { topic: "metrics", body: { q } } })).status).toBe(202);
    await carry(replica, master);

    // Who may scrape.
    for (const [n, who, headers] of [
      [replica, "metrics token", { authorization: `Bearer ${METRICS_TOKEN}` }],
      [master, "metrics token", { authorization: `Bearer ${METRICS_TOKEN}` }],
      [replica, "admin", { authorization: `Bearer ${tokens.replicaAdmin}` }],
      [master, "admin", { authorization: `Bearer ${tokens.masterAdmin}` }],
      [master, "operator", { authorization: `Bearer ${tokens.op}` }],
    ] as const) {
      const res = await scrape(n, headers);
      expect(res.status, `${n.services.config.role} as ${who}`).toBe(200);
      expect(res.headers.get("content-type")).toBe(CONTENT_TYPES.prometheus);
    }
    for (const [headers, status, code] of [
      [{}, 401, "unauthorized"],
      [{ authorization: `Bearer ${tokens.user}` }, 403, "forbidden"],
      [COURIER, 403, "forbidden"],
      [{ authorization: "Bearer not-the-metrics-token-0123456789abcdef" }, 401, "invalid_token"],
    ] as const) {
      const res = await scrape(replica, headers);
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
    // The metrics token reads /metrics and nothing else.
    const other = await replica.app.request("/v1/transfer/status", { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, {});
    expect(other.status).toBe(403);

    // The user's quota runs out (after the refusals above, which count in it too).
    let limited = 0;
    for (let i = 0; i < 20 && !limited; i++) if ((await r("/v1/requests", { token: tokens.user })).status === 429) limited++;
    expect(limited).toBe(1);

    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
    for (const n of [replica, master]) {
      const role = n.services.config.role;
      const text = await (await scrape(n, auth)).text();
      const m = samples(text);
      const status = await statusOf(n);
      expect(m.get(key("airlock_queue_depth")), role).toBe(await pendingIn(n));
      expect(m.get(key("airlock_transfer_sequence", { direction: "out", stage: "exported" })), role).toBe(status.outgoing.last_exported);
      expect(m.get(key("airlock_transfer_sequence", { direction: "out", stage: "acknowledged" })), role).toBe(status.outgoing.last_acknowledged);
      expect(m.get(key("airlock_transfer_sequence", { direction: "in", stage: "imported" })), role).toBe(status.incoming.last_imported);
      expect(m.get(key("airlock_transfer_unacknowledged_batches")), role).toBe(status.outgoing.unacknowledged);
      expect(m.get(key("airlock_transfer_backlog_records")), role).toBe(status.outgoing.backlog_records);
      expect(m.get(key("airlock_transfer_held_batches"))).toBe(0);
      expect(m.get(key("airlock_transfer_quarantined_batches", { side: "in" }))).toBe(0);
      expect(m.get(key("airlock_transfer_dead_letters", { side: "in" }))).toBe(0);
      expect(m.get(key("airlock_transfer_lag_seconds", { direction: "in" }))).toBeGreaterThanOrEqual(0);
      expect(m.get(key("airlock_oldest_pending_request_age_seconds"))).toBeGreaterThanOrEqual(0);
      expect(m.get(key("airlock_processor_failing_requests"))).toBe(0);
      // No personal data in labels, and routes as templates.
      expect(text).not.toMatch(/@|usr_|req_[0-9a-z]{8}/i);
      for (const [series] of m) if (series.includes('route="')) expect(series, series).toMatch(/route="(\/[A-Za-z0-9/{}._-]*|unmatched)"/);
    }
    const rm = samples(await (await scrape(replica, auth)).text());
    expect(rm.get(key("airlock_queue_depth"))).toBe(2); // the two exported, not yet answered
    expect(rm.get(key("airlock_requests", { status: "answered" }))).toBe(1);
    expect(rm.get(key("airlock_http_requests_total", { method: "GET", route: "/v1/requests/{id}/response", status: "200" }))).toBe(2);
    expect(rm.get(key("airlock_http_requests_total", { method: "POST", route: "/v1/requests", status: "202" }))).toBe(3);
    expect(rm.get(key("airlock_http_requests_total", { method: "GET", route: "/v1/requests", status: "429" }))).toBe(1);
    expect(rm.get(key("airlock_http_request_duration_seconds_count", { method: "GET", route: "/v1/requests/{id}/response" }))).toBe(2);
    expect(rm.get(key("airlock_http_request_duration_seconds_bucket", { method: "GET", route: "/v1/requests/{id}/response", le: "+Inf" }))).toBe(2);
    expect(rm.get(key("airlock_response_cache_reads_total", { outcome: "hit" }))).toBe(1);
    expect(rm.get(key("airlock_response_cache_reads_total", { outcome: "miss" }))).toBe(1);
    expect(rm.get(key("airlock_rate_limit_decisions_total", { limit: "identity", decision: "limited" }))).toBe(1);
    expect(rm.get(key("airlock_rate_limit_decisions_total", { limit: "login_account", decision: "allowed" }))).toBeGreaterThanOrEqual(1);
    const mm = samples(await (await scrape(master, auth)).text());
    expect(mm.get(key("airlock_queue_depth"))).toBe(2); // received, waiting for an operator
    expect(mm.get(key("airlock_requests", { status: "received" }))).toBe(2);

    // Both formats, both networks, as promtool reads them.
    for (const n of [replica, master]) {
      const classic = await scrape(n, { ...auth, accept: "text/plain" });
      expect(classic.headers.get("content-type")).toBe(CONTENT_TYPES.prometheus);
      const body = await classic.text();
      expect(body).not.toContain("# EOF");
      const lint = promtool(["check", "metrics"], body);
      expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);

      const om = await scrape(n, { ...auth, accept: OPENMETRICS });
      expect(om.headers.get("content-type")).toBe(CONTENT_TYPES.openmetrics);
      const omBody = await om.text();
      expect(omBody.endsWith("# EOF\n")).toBe(true);
      expect(omBody).toContain("# TYPE airlock_http_requests counter\n");
      // promtool reads OpenMetrics with its classic-format parser: it
      // parses, and its only findings are that counter samples (`_total`) lack the help their
      // OpenMetrics family (without `_total`) carries.
      const omLint = promtool(["check", "metrics"], omBody);
      expect(omLint.stderr).not.toContain("error while linting");
      const findings = `${omLint.stdout}${omLint.stderr}`.split("\n").filter(Boolean);
      for (const f of findings) expect(omBody, f).toContain(`# TYPE ${f.match(/^(\w+)_total no help text$/)?.[1]} counter\n`);
      // The strict OpenMetrics parser of the Prometheus Python client reads every family.
      const strict = spawnSync(DEBIAN_PYTHON, [STRICT], { input: omBody, encoding: "utf8" });
      expect(strict.status, strict.stderr).toBe(0);
      expect(strict.stdout).toContain("airlock_http_requests counter");
      expect(strict.stdout).toContain("airlock_http_request_duration_seconds histogram");
      expect(strict.stdout).toContain("airlock_queue_depth gauge 1");
    }
  });

  it("an API key needs the metrics:read scope", async () => {
    const { replica, r } = await linkedNetworks();
    // Keys are made on the request network: the operator's keys there.
    const op = (await r("/v1/auth/token", { body: { email: "op@example.com", password: PASSWORD } })).body.access_token as string;
    const key = async (scopes: string[]) => (await r("/v1/api-keys", { token: op, body: { name: "scraper", scopes } })).body.key as string;
    expect((await scrape(replica, { "x-api-key": await key(["metrics:read"]) })).status).toBe(200);
    expect((await scrape(replica, { authorization: `Bearer ${await key(["metrics:read"])}` })).status).toBe(200);
    expect((await scrape(replica, { "x-api-key": await key(["requests:read"]) })).status).toBe(403);
  });

  it("the rules file passes promtool check rules, and its unit tests pass promtool test rules", () => {
    const check = promtool(["check", "rules", RULES]);
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toContain("SUCCESS: 9 rules found");
    const test = promtool(["test", "rules", "deploy/prometheus/airlock.rules.test.yml"]);
    expect(test.status, `${test.stdout}${test.stderr}`).toBe(0);
  });
});
