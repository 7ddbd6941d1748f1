// The queue pages on the response network (Node, libSQL file) in Chromium: the API's order and
// filters, claim, answer with a preview, corrections, rejections, and what the database holds after each.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { requestEvents, requests } from "../../schema/index.ts";
import { answerRequest } from "../../src/requests/answers.ts";
import { type ConsoleNetwork, PASSWORD, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";

type Json = Record<string, unknown>;

describe("console queue (response network on Node, Chromium)", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let op: { id: string; email: string };
  let requester: { id: string; email: string };
  let token: string;

  /** A request as the master holds it after an import: received, with its timeline event. */
  async function received(o: { topic: string; priority?: number; ageMinutes?: number; status?: "received" | "answered"; body?: unknown }) {
    const s = net.services!;
    const at = new Date(s.clock.now().getTime() - (o.ageMinutes ?? 0) * 60_000).toISOString();
    const row = {
      id: `req_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`,
      userId: requester.id,
      topic: o.topic,
      body: JSON.stringify(o.body ?? { q: `about ${o.topic}` }),
      priority: o.priority ?? 0,
      status: o.status ?? ("received" as const),
      createdAt: at,
      updatedAt: at,
      replicaVersion: 1,
      masterVersion: 1,
    };
    await s.db.orm.insert(requests).values(row);
    await s.db.orm.insert(requestEvents).values({ requestId: row.id, status: "received", at, network: s.config.networkId, batchSequence: 1 });
    return row;
  }
  const api = async (path: string) =>
    (await (await fetch(`${net.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { items: Json[]; next_cursor: string | null };
  const idsOnPage = async (page: Page) => await page.locator("tbody tr td:nth-child(2) a").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).pathname.split("/").pop()!));
  const responseOf = async (id: string) => (await net.sql("select kind, body, content_type, reason, answered_by, version from responses where request_id = ?", id))[0];
  const statusOf = async (id: string) => (await net.sql("select status, claimed_by from requests where id = ?", id))[0];

  beforeAll(async () => {
    net = await startConsoleNetwork("response");
    op = await net.seedUser({ role: "operator", name: "Otto Operator" });
    requester = await net.seedUser({ role: "user" });
    browser = await launchChromium();
    const login = await fetch(`${net.url}/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: op.email, password: PASSWORD }),
    });
    token = ((await login.json()) as { access_token: string }).access_token;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("lists the queue in the API's order, filters by topic, priority and age, pages, and answers with Server-Timing", async () => {
    await received({ topic: "weather", priority: 2, ageMinutes: 300 });
    await received({ topic: "weather", priority: 9, ageMinutes: 3 });
    await received({ topic: "tides", priority: 5, ageMinutes: 120 });
    await received({ topic: "tides", priority: 0, ageMinutes: 2000 });
    await received({ topic: "weather", status: "answered" });
    for (let i = 0; i < 52; i++) await received({ topic: "bulk", priority: i % 3, ageMinutes: 10 + (i % 40) });

    const page = await signIn(browser, net, op.email, { next: "/console/queue" });
    const res = await page.goto(`${net.url}/console/queue`);
    expect(res!.headers()["server-timing"]).toMatch(/^app;dur=\d+(\.\d)?$/);
    const all = await api("/v1/queue?limit=200");
    expect(all.items).toHaveLength(56);
    const first = await idsOnPage(page);
    expect(first).toEqual(all.items.slice(0, 50).map((i) => i.id));
    expect(await page.locator("main p.lead").textContent()).toBe("56 open requests match. Most urgent first, then oldest first.");
    await page.getByRole("link", { name: "Next page" }).click();
    await page.waitForURL(/cursor=/);
    expect(await idsOnPage(page)).toEqual(all.items.slice(50).map((i) => i.id));

    // Topic and priority, as the form sends them.
    await page.goto(`${net.url}/console/queue`);
    await page.getByLabel("Topic").fill("weather");
    await page.getByLabel("Priority").selectOption("2");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/topic=weather/);
    const weather = await net.sql(
      "select id from requests where topic = 'weather' and status in ('received','processing') and priority >= 2 order by priority desc, created_at asc, id asc",
    );
    expect(weather).toHaveLength(2);
    expect(await idsOnPage(page)).toEqual(weather.map((r) => r.id));
    expect(await idsOnPage(page)).toEqual((await api("/v1/queue?topic=weather&min_priority=2")).items.map((i) => i.id));

    // Age: waiting an hour or more.
    await page.getByLabel("Topic").fill("");
    await page.getByLabel("Priority").selectOption("");
    await page.getByLabel("Waiting").selectOption("60");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/age=60/);
    const cutoff = new Date(Date.now() - 60 * 60_000).toISOString();
    const old = await net.sql("select id from requests where status in ('received','processing') and created_at < ? order by priority desc, created_at asc, id asc", cutoff);
    expect(old.map((r) => r.id)).toHaveLength(3);
    expect(await idsOnPage(page)).toEqual(old.map((r) => r.id));
    await expectAccessible(page);
    await screenshot(page, "queue-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await page.goto(`${net.url}/console/queue`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
    await screenshot(page, "queue-360");

    // A value not offered by the form: a field error, no list.
    const bad = await page.goto(`${net.url}/console/queue?priority=12`);
    expect(bad!.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toContain("Priority: Pick a priority from the list");
    expect(await page.locator("tbody tr").count()).toBe(0);
    await page.context().close();
  });

  it("claim, then answer with JSON: the preview shows what will be sent and writes nothing; Send writes the response", async () => {
    const r = await received({ topic: "claim-me", priority: 1, body: { city: "Oslo" } });
    const page = await signIn(browser, net, op.email, { next: `/console/queue/${r.id}` });
    expect(await page.locator("main").textContent()).toContain('"city": "Oslo"');
    expect(await page.getByRole("table", { name: "Timeline" }).textContent()).toContain("received");
    await page.getByRole("button", { name: "Claim" }).click();
    await page.waitForURL(`${net.url}/console/queue/${r.id}`);
    expect(await page.getByRole("status").textContent()).toMatch(/^Claimed until \d{4}-/);
    expect(await statusOf(r.id)).toEqual({ status: "processing", claimed_by: op.id });
    expect(await page.locator("dl.facts").textContent()).toContain("Claimed by you until");

    await page.getByLabel("Answer text").fill('{"temp": 21, "unit": "C"}');
    await page.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(`${net.url}/console/queue/${r.id}/preview`);
    const preview = page.getByRole("region", { name: "Preview of the answer" });
    expect(await preview.textContent()).toContain("This is what the requester will receive: application/json, 22 characters, version 1.");
    expect(await preview.locator("pre").textContent()).toBe('{\n  "temp": 21,\n  "unit": "C"\n}');
    expect(await responseOf(r.id)).toBeUndefined();
    expect((await statusOf(r.id)).status).toBe("processing");
    await expectAccessible(page);
    await screenshot(page, "queue-preview-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, "queue-preview-360");

    await page.getByRole("button", { name: "Send the answer" }).click();
    await page.waitForURL(`${net.url}/console/queue/${r.id}`);
    expect(await page.getByRole("status").textContent()).toBe("Answer sent; it leaves with the next batch.");
    expect(await responseOf(r.id)).toEqual({ kind: "answer", body: '{"temp":21,"unit":"C"}', content_type: "application/json", reason: null, answered_by: op.id, version: 1 });
    expect(await statusOf(r.id)).toEqual({ status: "answered", claimed_by: null });
    const outbox = await net.sql("select kind, version from outbox where entity_id = ? order by seq", r.id);
    expect(outbox).toEqual([
      { kind: "request_status", version: 2 },
      { kind: "request_status", version: 3 },
      { kind: "response", version: 1 },
    ]);
    expect(await page.locator("main").textContent()).toContain("Current answer (version 1)");
    await expectAccessible(page);
    await screenshot(page, "queue-detail-360");
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, "queue-detail-1280");
    await page.context().close();
  });

  it("an answer that is not valid JSON gives a field error and writes nothing (preview or send)", async () => {
    const r = await received({ topic: "bad-json" });
    const audits = async () => Number((await net.sql("select count(*) as n from audit_log where target_id = ?", r.id))[0].n);
    const before = await audits();
    const page = await signIn(browser, net, op.email, { next: `/console/queue/${r.id}` });
    await page.getByLabel("Answer text").fill('{"temp": }');
    const [res] = await Promise.all([page.waitForResponse((x) => x.url().endsWith("/preview")), page.getByRole("button", { name: "Preview" }).click()]);
    expect(res.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toContain("Answer text: This is not valid JSON");
    expect(await page.getByLabel("Answer text").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("Answer text").inputValue()).toBe('{"temp": }');
    expect(await page.getByRole("region", { name: /Preview/ }).count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, "queue-answer-error-1280");
    // Straight to Send, past the preview: refused the same way.
    const csrf = await page.locator("input[name=_csrf]").first().inputValue();
    const sent = await page.request.post(`${net.url}/console/queue/${r.id}/answer`, { form: { _csrf: csrf, format: "json", body: "[1," }, maxRedirects: 0 });
    expect(sent.status()).toBe(400);
    expect(await sent.text()).toContain("This is not valid JSON");
    expect(await responseOf(r.id)).toBeUndefined();
    expect(await statusOf(r.id)).toEqual({ status: "received", claimed_by: null });
    expect(await audits()).toBe(before);
    await page.context().close();
  });

  it("a correction shows the previous version next to the new one, then replaces it", async () => {
    const r = await received({ topic: "correct-me" });
    await answerRequest(net.services!, r as never, { id: op.id, role: "operator", audit: { actorType: "user", actorId: op.id } }, { body: { answer: "first" } });
    const page = await signIn(browser, net, op.email, { next: `/console/queue/${r.id}` });
    expect(await page.getByRole("heading", { name: "Correct the answer" }).count()).toBe(1);
    await page.getByLabel("Format").selectOption("text");
    await page.getByLabel("Answer text").fill("Second thoughts: it is 42.");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(/\/preview$/);
    const preview = page.getByRole("region", { name: "Preview of the correction" });
    expect(await preview.getByRole("heading", { name: "Previous version (version 1)" }).count()).toBe(1);
    expect(await preview.locator("pre").first().textContent()).toBe('{\n  "answer": "first"\n}');
    expect(await preview.getByRole("heading", { name: "New version (version 2)" }).count()).toBe(1);
    expect(await preview.locator("pre").nth(1).textContent()).toBe("Second thoughts: it is 42.");
    expect((await responseOf(r.id)).version).toBe(1);
    await expectAccessible(page);
    await screenshot(page, "queue-correction-1280");
    await page.getByRole("button", { name: "Send the correction" }).click();
    await page.waitForURL(`${net.url}/console/queue/${r.id}`);
    expect(await page.getByRole("status").textContent()).toBe("Correction sent (version 2); it leaves with the next batch.");
    expect(await responseOf(r.id)).toEqual({
      kind: "answer",
      body: "Second thoughts: it is 42.",
      content_type: "text/plain; charset=utf-8",
      reason: null,
      answered_by: op.id,
      version: 2,
    });
    expect((await statusOf(r.id)).status).toBe("answered");
    expect(await net.sql("select action from audit_log where target_id = ? and action like 'request.answer%' order by seq", r.id)).toEqual([
      { action: "request.answer" },
      { action: "request.answer_correct" },
    ]);
    await page.context().close();
  });

  it("reject with a reason: a confirmation step, then the rejection in the database", async () => {
    const r = await received({ topic: "reject-me" });
    const page = await signIn(browser, net, op.email, { next: `/console/queue/${r.id}` });
    await page.getByLabel("Reason").fill("Out of scope for this service.");
    await page.getByRole("button", { name: "Reject" }).click();
    await page.waitForURL(/\/reject$/);
    expect(await page.locator(".confirm").textContent()).toContain("Reject this request? The requester will read: “Out of scope for this service.”");
    expect((await statusOf(r.id)).status).toBe("received");
    await expectAccessible(page);
    await screenshot(page, "queue-reject-confirm-360");
    await page.getByRole("button", { name: "Yes, reject it" }).click();
    await page.waitForURL(`${net.url}/console/queue/${r.id}`);
    expect(await page.getByRole("status").textContent()).toBe("Request rejected; the reason leaves with the next batch.");
    expect(await responseOf(r.id)).toEqual({ kind: "rejection", body: null, content_type: null, reason: "Out of scope for this service.", answered_by: op.id, version: 1 });
    expect(await net.sql("select status, detail from request_events where request_id = ? and status = 'rejected'", r.id)).toEqual([
      { status: "rejected", detail: "Out of scope for this service." },
    ]);
    // Final now: no answer or reject forms.
    expect(await page.getByRole("button", { name: "Preview" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Reject" }).count()).toBe(0);
    await page.context().close();
  });

  it("a request claimed by another operator: answering is refused with the reason on the page, nothing written", async () => {
    const r = await received({ topic: "taken" });
    const other = await net.seedUser({ role: "operator" });
    await net.sql("update requests set status = 'processing', claimed_by = ?, claim_expires_at = ? where id = ?", other.id, new Date(Date.now() + 600_000).toISOString(), r.id);
    const page = await signIn(browser, net, op.email, { next: `/console/queue/${r.id}` });
    expect(await page.locator("dl.facts").textContent()).toContain(`Claimed by ${other.email} until`);
    await page.getByLabel("Answer text").fill("1");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.getByRole("button", { name: "Send the answer" }).click();
    await page.waitForURL(`${net.url}/console/queue/${r.id}`);
    expect(await page.getByRole("alert").textContent()).toMatch(/^Not done: the request is claimed by another operator until /);
    expect(await responseOf(r.id)).toBeUndefined();
    await page.context().close();
  });

  it("a user without the role sees no queue", async () => {
    const page = await signIn(browser, net, requester.email);
    expect(await page.locator("a[href='/console/queue']").count()).toBe(0);
    const res = await page.goto(`${net.url}/console/queue`);
    expect(res!.status()).toBe(403);
    expect(await page.locator("main").textContent()).toContain("Queue needs the role admin or operator");
    await page.context().close();
  });
});
