// The dashboard on both networks (response on Node with a libSQL file, request in workerd with
// D1), in Chromium: its figures against the rows seeded in the database.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type ConsoleNetwork, PASSWORD, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";
import { STATS_KEY } from "../../src/requests/response-cache.ts";

const HOUR = 3_600_000;

/** Requests in known hours, the link's state (late import, a held batch after a gap, a quarantined file, a dead letter) and a firing alert. */
async function seed(net: ConsoleNetwork, userId: string) {
  const H = Math.floor(Date.now() / HOUR) * HOUR;
  const at = (hoursAgo: number, min: number) => new Date(H - hoursAgo * HOUR + min * 60_000).toISOString();
  const rows: Array<[string, string, string, string | null]> = [
    ["req_a", "answered", at(2, 10), at(1, 5)], // 55 min to answer
    ["req_b", "answered", at(2, 15), at(2, 20)], // 5 min
    ["req_c", "submitted", at(5, 0), null],
    ["req_d", "received", at(5, 30), null],
    ["req_e", "processing", at(10, 0), null],
    ["req_f", "exported", at(20, 0), null], // the oldest pending
    ["req_g", "rejected", at(30, 0), null], // outside the chart's 24 hours
    ["req_h", "cancelled", at(3, 0), null],
  ];
  for (const [id, status, created, answered] of rows) {
    await net.sql(
      "insert into requests (id, user_id, topic, body, status, created_at, updated_at, answered_at) values (?, ?, 'weather', '{}', ?, ?, ?, ?)",
      id,
      userId,
      status,
      created,
      created,
      answered,
    );
  }
  const now = new Date().toISOString();
  const fiveHoursAgo = new Date(Date.now() - 5 * HOUR).toISOString();
  await net.sql("insert into transfer_state (key, value, updated_at) values ('in.last_sequence', '3', ?), ('in.last_import_at', ?, ?)", now, fiveHoursAgo, now);
  await net.sql(
    "insert into batches_in (id, file_name, file_sha256, bytes, outcome, sequence, received_at) values ('rcv_HELD', 'b6.batch', '', 100, 'held', 6, ?), ('rcv_QUAR', 'bad.batch', '', 100, 'quarantined', null, ?)",
    now,
    now,
  );
  await net.sql("insert into dead_letters (id, side, kind, record_id, reason, status, created_at) values ('dl_1', 'in', 'future_kind', 'f1', 'unknown kind', 'open', ?)", now);
  await net.sql(
    "insert into alerts (name, state, since, last_evaluated, details) values ('held_batch', 'firing', ?, ?, ?), ('dead_letters', 'resolved', ?, ?, null)",
    now,
    now,
    JSON.stringify({ held: 1 }),
    now,
    now,
  );
  return { hourOfTwo: new Date(H - 2 * HOUR).toISOString().slice(0, 13).replace("T", " ") };
}

/** Some API calls as the requester, so the limiter has something to show. */
async function useQuota(net: ConsoleNetwork, email: string, calls: number) {
  const token = (await (
    await fetch(`${net.url}/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PASSWORD }) })
  ).json()) as { access_token: string };
  for (let i = 0; i < calls; i++) expect((await fetch(`${net.url}/v1/requests`, { headers: { authorization: `Bearer ${token.access_token}` } })).status).toBe(200);
}

async function expectDashboard(page: Page, net: ConsoleNetwork, requester: string, hourOfTwo: string) {
  expect(await page.locator("h1").textContent()).toBe("Dashboard");
  // The firing alert comes first, before anything else in main; a resolved one is not shown.
  const alerts = page.locator("main h1 + section.alerts");
  expect(await alerts.textContent()).toContain("1 alert firing");
  expect(await alerts.textContent()).toContain("held batch");
  expect(await alerts.textContent()).not.toContain("dead letters");
  // Counts by status: exactly the database's.
  const db = await net.sql("select status, count(*) as n from requests group by status");
  expect(db.length).toBe(7);
  for (const r of db) expect(await page.locator(`#status-counts dd[data-status="${r.status}"]`).textContent()).toBe(String(r.n));
  expect(await page.locator("#oldest-pending").textContent()).toMatch(/^20 h( \d+ min)? \(req_f\)$/);
  expect(await page.locator("#latency").textContent()).toBe("p50 5 min, p90 55 min (2 answers)");
  // The link: late (five hours, heartbeat every 60 min), the held batch and its gap, the quarantined file, the dead letter.
  const since = page.locator("#since-import");
  expect(await since.getAttribute("class")).toBe("late");
  expect(await since.textContent()).toMatch(/^5 h.* — late: a batch or heartbeat was expected every 60 min$/);
  const incoming = await page.locator("section[aria-labelledby=link-in]").textContent();
  expect(incoming).toContain("Last imported#3");
  expect(incoming).toContain("Held batches#6 — missing #4–#5");
  expect(incoming).toContain("Quarantined files1");
  expect(incoming).toContain("Dead letters1 set aside here");
  // The chart: a bar per hour with requests (5 hours; the one 30 h ago is outside) and per hour with answers (2).
  expect(await page.locator("svg.chart-svg rect.bar-requests").count()).toBe(5);
  expect(await page.locator("svg.chart-svg rect.bar-answers").count()).toBe(2);
  expect(await page.locator("svg.chart-svg").getAttribute("role")).toBe("img");
  expect(await page.locator("svg.chart-svg desc").textContent()).toContain("7 requests and 2 answers");
  const row = page.locator("figure.chart tbody tr", { hasText: hourOfTwo });
  expect(await row.locator("td").allTextContents()).toEqual(["2", "1"]);
  expect(await page.locator("figure.chart tbody tr").count()).toBe(24);
  // Rate-limit hot spots: the requester (the only one with requests today) and their calls.
  const hot = page.locator("section[aria-labelledby=limits-title] tbody tr");
  expect(await hot.count()).toBe(1);
  expect(await hot.locator("td").first().textContent()).toBe(requester);
  const used = /^(\d+) of (\d+)$/.exec((await hot.locator("td").nth(2).textContent()) ?? "");
  expect(Number(used?.[1])).toBeGreaterThanOrEqual(3);
}

for (const runtime of ["node", "workerd"] as const) {
  const role = runtime === "node" ? "response" : "request";
  describe(`dashboard on the ${role} network (${runtime}), in Chromium`, () => {
    let browser: Browser;
    let net: ConsoleNetwork;
    beforeAll(async () => {
      net = await startConsoleNetwork(role, { runtime });
      browser = await launchChromium();
    }, 90_000);
    afterAll(async () => {
      await browser?.close();
      await net?.close();
    });

    it("shows operators the seeded figures: counts, late import, firing alert, chart bars, hot spots; accessible at 1280 and 360 px", async () => {
      const requester = await net.seedUser({ role: "user" });
      const { hourOfTwo } = await seed(net, requester.id);
      await useQuota(net, requester.email, 3);
      if (net.services) {
        // Memory cache on this network: 4 reads, 1 miss → 3 hits.
        await net.services.cache.hincrby(STATS_KEY, "reads", 4);
        await net.services.cache.hincrby(STATS_KEY, "misses", 1);
      }
      for (const who of ["operator", "admin"] as const) {
        const user = await net.seedUser({ role: who });
        const page = await signIn(browser, net, user.email);
        await expectDashboard(page, net, requester.id, hourOfTwo);
        if (net.services) expect(await page.locator("#hit-ratio").textContent()).toBe("75 %");
        // Operators are not sent to pages their role cannot open.
        expect(await page.locator("a[href='/console/cache']").count()).toBe(who === "admin" ? 2 : 0);
        await expectAccessible(page);
        await screenshot(page, `dashboard-${role}-${who}-1280`);
        await page.setViewportSize({ width: 360, height: 800 });
        await expectAccessible(page);
        await screenshot(page, `dashboard-${role}-${who}-360`);
        await page.context().close();
      }
    });

    it("a plain user gets the short home with links to their pages, no figures", async () => {
      const user = await net.seedUser({ role: "user" });
      const page = await signIn(browser, net, user.email, { width: 360 });
      expect(await page.locator("h1").textContent()).toBe("Console");
      expect(await page.locator("main").textContent()).toContain(`as ${user.email} with the role user`);
      expect(await page.locator("svg, section.alerts, #status-counts").count()).toBe(0);
      await expectAccessible(page);
      await screenshot(page, `dashboard-${role}-user-360`);
      await page.context().close();
    });
  });
}
