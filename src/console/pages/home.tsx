import { ANY_ROLE, type Role } from "../../identity/roles.ts";
import { REQUEST_STATUSES } from "../../requests/records.ts";
import { requestStats, requestsPerHour } from "../../requests/stats.ts";
import { cacheStats } from "../../requests/response-cache.ts";
import { transferStatus } from "../../transfer/status.ts";
import { limitedSinceStart, rateLimitHotSpots } from "../../limits/status.ts";
import { definePage, type PageContext } from "../page.ts";
import { relativeAge } from "../format.ts";
import { Table } from "../components/table.tsx";
import { Time } from "../components/time.tsx";
import { HourlyChart } from "../components/chart.tsx";
import { FiringAlerts, LinkStatus } from "../components/link-status.tsx";

/** Who sees the whole dashboard; everyone else gets the short home. */
const WATCHERS: readonly Role[] = ["admin", "operator"];
/** The busiest users of the last day whose limits the dashboard reads. */
const HOT_SPOT_USERS = 5;
const DAY_MS = 86_400_000;

const seconds = (v: number | null) => (v === null ? "–" : v < 120 ? `${v} s` : `${Math.round(v / 6) / 10} min`);
const percent = (v: number | null) => (v === null ? "no reads yet" : `${Math.round(v * 1000) / 10} %`);

function ShortHome(p: { ctx: PageContext }) {
  const pages = p.ctx.nav.filter((n) => n.href !== "/console");
  return (
    <>
      <p>
        Signed in to the {p.ctx.s.config.role} network as {p.ctx.user.email} with the role {p.ctx.user.role}.
      </p>
      {pages.length ? (
        <ul>
          {pages.map((n) => (
            <li>
              <a href={n.href}>{n.label}</a>
            </li>
          ))}
        </ul>
      ) : (
        <p>There are no console pages for your role on this network yet.</p>
      )}
    </>
  );
}

/** Everything an operator on duty reads first: alerts, the queue's state, the link, the last day, the cache and the limits. */
async function dashboard(ctx: PageContext) {
  const { s, now } = ctx;
  const [stats, link, hours, cache] = await Promise.all([
    requestStats(s, new Date(now.getTime() - DAY_MS).toISOString()),
    transferStatus(s),
    requestsPerHour(s, now),
    cacheStats(s),
  ]);
  const hot = await rateLimitHotSpots(
    s,
    ctx.c.get("requestId"),
    stats.per_user.slice(0, HOT_SPOT_USERS).map((u) => u.user_id),
  );
  const refused = limitedSinceStart(s);
  const lat = stats.answer_latency_seconds;
  const may = (href: string) => ctx.nav.some((n) => n.href === href);
  return (
    <>
      <FiringAlerts alerts={link.alerts} now={now} />
      <h2>Requests</h2>
      <div class="cards">
        <section class="card" aria-labelledby="by-status">
          <h3 id="by-status">By status ({stats.total} in all)</h3>
          <dl class="facts" id="status-counts">
            {REQUEST_STATUSES.map((st) => (
              <>
                <dt>{st}</dt>
                <dd data-status={st}>{stats.by_status[st]}</dd>
              </>
            ))}
          </dl>
        </section>
        <section class="card" aria-labelledby="waiting">
          <h3 id="waiting">Waiting and answer time</h3>
          <dl class="facts">
            <dt>Oldest pending</dt>
            <dd id="oldest-pending">
              {stats.oldest_pending ? (
                <>
                  {relativeAge(stats.oldest_pending.created_at, now).replace(/ ago$/, "")} (<code>{stats.oldest_pending.id}</code>)
                </>
              ) : (
                "nothing pending"
              )}
            </dd>
            <dt>Answer latency, last 24 h</dt>
            <dd id="latency">
              p50 {seconds(lat.p50)}, p90 {seconds(lat.p90)} ({lat.count} answers)
            </dd>
          </dl>
        </section>
      </div>
      <h2>The link</h2>
      <LinkStatus status={link} now={now} />
      {may("/console/transfer") && (
        <p>
          <a href="/console/transfer">Batches, uploads and retries</a>
        </p>
      )}
      <h2>The last 24 hours</h2>
      <HourlyChart hours={hours} caption="Requests and answers per hour, last 24 hours (UTC)" />
      <div class="cards">
        <section class="card" aria-labelledby="cache-title">
          <h3 id="cache-title">Response cache</h3>
          {cache.available ? (
            <dl class="facts">
              <dt>Hit ratio</dt>
              <dd id="hit-ratio">{percent(cache.hit_ratio)}</dd>
              <dt>Reads</dt>
              <dd>
                {cache.reads} ({cache.hits} hits, {cache.misses} misses, {cache.stale} stale) since <Time at={cache.since} now={now} />
              </dd>
              <dt>Store</dt>
              <dd>
                {cache.store}, {cache.keys?.responses ?? 0} responses cached
              </dd>
              <dt>Errors</dt>
              <dd class={cache.errors ? "warn" : undefined}>{cache.errors} in this process</dd>
            </dl>
          ) : (
            <p class="late">The cache store did not answer: reads are served from the database.</p>
          )}
          {may("/console/cache") && <a href="/console/cache">Cache details and clearing</a>}
        </section>
        <section class="card" aria-labelledby="limits-title">
          <h3 id="limits-title">Rate-limit hot spots</h3>
          <p class="hint">
            The busiest users of the last 24 h, closest to a limit first. Refused here since this process started: {refused.identity ?? 0} requests, {refused.login_ip ?? 0} logins
            by address, {refused.login_account ?? 0} by account.
          </p>
          {hot === null ? (
            <p class="late">The rate limiter's store did not answer.</p>
          ) : (
            <Table
              caption="Closest to a limit"
              rows={hot}
              empty="No requests in the last 24 hours."
              columns={[
                { label: "User", cell: (h) => <code>{h.user_id}</code> },
                { label: "Window", cell: (h) => `${h.window.window}${h.window.api_key_id ? ` (key ${h.window.api_key_id})` : ""}` },
                { label: "Used", cell: (h) => `${h.window.used} of ${h.window.limit}`, numeric: true },
                { label: "Share", cell: (h) => <span class={h.share >= 0.8 ? "warn" : undefined}>{Math.round(h.share * 100)} %</span>, numeric: true },
                { label: "Login", cell: (h) => (h.locked ? <strong class="late">locked</strong> : "open") },
              ]}
            />
          )}
        </section>
      </div>
    </>
  );
}

/** `/console`: the dashboard for operators and admins; for everyone else, the pages they may open. */
export const homePage = definePage({
  path: "/console",
  title: "Console",
  nav: "Home",
  roles: ANY_ROLE,
  async get(ctx) {
    if (!WATCHERS.includes(ctx.user.role)) return ctx.render(<ShortHome ctx={ctx} />);
    return ctx.render(await dashboard(ctx), { title: "Dashboard" });
  },
});
