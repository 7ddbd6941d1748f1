import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type ConsoleNetwork, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";
import { type Json, masterFor } from "../helpers/console-requester.ts";

const PW = "a long enough password";
const LIST = "/console/requests";
const TURNAROUND_S = 600;

/** Three requests of someone else answered in 10 min a day ago, as imports record them: the estimate's history. */
async function seedHistory(net: ConsoleNetwork) {
  const day = Date.now() - 86_400_000;
  for (let i = 0; i < 3; i++) {
    const created = new Date(day + i * 60_000).toISOString();
    const available = new Date(day + i * 60_000 + TURNAROUND_S * 1000).toISOString();
    await net.sql(
      "insert into requests (id, user_id, topic, body, priority, status, created_at, updated_at, replica_version, master_version, answered_at) values (?, 'usr_history', 'history', '{}', 0, 'answered', ?, ?, 1, 3, ?)",
      `req_history_${i}`,
      created,
      available,
      available,
    );
    await net.sql("insert into request_events (request_id, status, at, network) values (?, 'available', ?, 'airlock-request')", `req_history_${i}`, available);
  }
}

const idFrom = (page: Page) => new URL(page.url()).pathname.split("/").pop()!;
const tableColumn = (page: Page, caption: string, n: number) => page.locator(`section[aria-label="${caption}"] tbody tr td:nth-child(${n})`).allTextContents();

describe("My requests in the console (request network in workerd, real D1, answers carried from a Node master, Chromium)", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let link: Awaited<ReturnType<typeof masterFor>>;
  let user: { id: string; email: string };
  let token: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    net = await startConsoleNetwork("request", { runtime: "workerd" });
    await seedHistory(net);
    link = await masterFor(net);
    user = await link.createUser({ role: "user", name: "Rita Requester", password: PW });
    const login = await fetch(`${net.url}/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: user.email, password: PW }),
    });
    token = ((await login.json()) as Json).access_token;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  const api = async (path: string) => (await fetch(net.url + path, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<Json>;
  const rowsOf = (topic: string) => net.sql("select id, user_id, topic, body, priority, status from requests where topic = ?", topic);

  async function submit(page: Page, o: { topic: string; body: string; format?: "json" | "text"; priority?: string }) {
    await page.goto(net.url + LIST);
    await page.getByLabel("Topic").fill(o.topic);
    await page.getByLabel("Priority").selectOption(o.priority ?? "0");
    await page.getByLabel("The body is").selectOption(o.format ?? "json");
    await page.getByLabel("Body", { exact: true }).fill(o.body);
    await Promise.all([page.waitForURL(/\/console\/requests\/req_/), page.getByRole("button", { name: "Submit the request" }).click()]);
    return idFrom(page);
  }

  it("submit through the form: the row in D1 (topic, priority, body, user); the detail shows the timeline and the API's estimate", async () => {
    const page = await signIn(browser, net, user.email, { password: PW, next: LIST });
    expect(new URL(page.url()).pathname).toBe(LIST);
    expect(await page.locator("main").textContent()).toContain("You have not submitted any request yet.");
    const id = await submit(page, { topic: "Quarterly numbers", priority: "3", body: '{"question": "How many?", "ids": [1, 2]}' });
    ids.json = id;
    expect(await page.getByRole("status").textContent()).toBe("Request submitted.");
    expect(await rowsOf("Quarterly numbers")).toEqual([
      { id, user_id: user.id, topic: "Quarterly numbers", body: '{"question":"How many?","ids":[1,2]}', priority: 3, status: "submitted" },
    ]);
    expect(await page.locator("h1").textContent()).toBe("Request: Quarterly numbers");
    expect(await tableColumn(page, "Timeline, oldest first", 1)).toEqual(["submitted"]);
    expect(await tableColumn(page, "Timeline, oldest first", 3)).toEqual(["here (airlock-request)"]);
    // The estimate is the API's: the same time, from the seeded history (10 min turnarounds).
    const fromApi = await api(`/v1/requests/${id}`);
    expect(fromApi.estimated_answer_at).toBe(new Date(Date.parse(fromApi.created_at) + TURNAROUND_S * 1000).toISOString());
    const note = page.locator(".note");
    expect(await note.locator("time").getAttribute("datetime")).toBe(fromApi.estimated_answer_at);
    expect(await note.textContent()).toMatch(
      /Answer expected around .* UTC \(in \d+ min( \d+ s)?\)\.Median turnaround 10 min; median turnaround of the 3 of the last 3 answered requests that took longer than \d+ s\./,
    );
    expect(await page.getByRole("region", { name: "The request body" }).textContent()).toBe(JSON.stringify({ question: "How many?", ids: [1, 2] }, null, 2));
    await expectAccessible(page);
    await screenshot(page, "request-detail-pending-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
    await screenshot(page, "request-detail-pending-360");
    await page.context().close();
  });

  it("one rendering of the form creates one request, however often it is sent (its idempotency key); text bodies; bad input writes nothing", async () => {
    const page = await signIn(browser, net, user.email, { password: PW, next: LIST });
    await page.getByLabel("Topic").fill("Sent twice");
    await page.getByLabel("Body", { exact: true }).fill('{"n": 1}');
    const form = await page.locator(`form[action="${LIST}/submit"]`).evaluate((f) => Object.fromEntries(new FormData(f as HTMLFormElement)) as Record<string, string>);
    expect(form.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    const post = (data: Record<string, string>) => page.request.post(`${net.url}${LIST}/submit`, { form: data, maxRedirects: 0 });
    const first = await post(form);
    const again = await post(form);
    expect([first.status(), again.status()]).toEqual([303, 303]);
    expect(again.headers().location).toBe(first.headers().location);
    expect((await rowsOf("Sent twice")).map((r) => `${LIST}/${r.id}`)).toEqual([first.headers().location]);
    await page.goto(net.url + again.headers().location);
    expect(await page.getByRole("status").textContent()).toBe("This form was sent already: this is the request it created.");
    // Sent at the same moment: still one.
    await page.goto(net.url + LIST);
    await page.getByLabel("Topic").fill("Sent at once");
    await page.getByLabel("Body", { exact: true }).fill("[1]");
    const once = await page.locator(`form[action="${LIST}/submit"]`).evaluate((f) => Object.fromEntries(new FormData(f as HTMLFormElement)) as Record<string, string>);
    const both = await Promise.all([post(once), post(once)]);
    expect(both.map((r) => r.status())).toEqual([303, 303]);
    expect(await rowsOf("Sent at once")).toHaveLength(1);
    // A double click in the browser.
    await page.goto(net.url + LIST);
    await page.getByLabel("Topic").fill("Double click");
    await page.getByLabel("Body", { exact: true }).fill("{}");
    await page.getByRole("button", { name: "Submit the request" }).dblclick();
    // The last navigation lands on the request or, while the first post was still running, on the list; both say so.
    await page.getByRole("status").waitFor();
    await page.waitForLoadState("networkidle");
    expect(await page.getByRole("status").textContent()).toMatch(/^(Request submitted\.|This form was sent already: .*)$/);
    expect(await rowsOf("Double click")).toHaveLength(1);

    // Text: stored as a JSON string.
    ids.text = await submit(page, { topic: "Plain words", format: "text", body: "Is <b>this</b> escaped?\nLine two" });
    expect((await rowsOf("Plain words"))[0].body).toBe(JSON.stringify("Is <b>this</b> escaped?\nLine two"));
    expect(await page.getByRole("region", { name: "The request body" }).textContent()).toBe(JSON.stringify("Is <b>this</b> escaped?\nLine two"));

    // Bad JSON: the form again, with the summary linking to the field, the values kept, nothing written.
    const before = (await net.sql("select count(*) as n from requests"))[0].n;
    await page.goto(net.url + LIST);
    await page.getByLabel("Topic").fill("Broken");
    await page.getByLabel("Body", { exact: true }).fill('{"a":');
    const [res] = await Promise.all([page.waitForResponse(`${net.url}${LIST}/submit`), page.getByRole("button", { name: "Submit the request" }).click()]);
    expect(res.status()).toBe(400);
    await page.waitForLoadState();
    expect(await page.getByRole("alert").textContent()).toMatch(/There is a problemBody: Not valid JSON: /);
    expect(await page.getByLabel("Topic").inputValue()).toBe("Broken");
    expect(await page.getByLabel("Body", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await page.getByRole("link", { name: /Body: Not valid JSON/ }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-body");
    await expectAccessible(page);
    await screenshot(page, "requests-submit-error-1280");
    // The API's bounds, past the browser's maxlength: topic length and line breaks, priority, the JSON limits.
    const fresh = await page.locator(`form[action="${LIST}/submit"]`).evaluate((f) => Object.fromEntries(new FormData(f as HTMLFormElement)) as Record<string, string>);
    const bad = await post({ ...fresh, topic: "x".repeat(201), priority: "12", body: "[".repeat(200) + "]".repeat(200) });
    expect(bad.status()).toBe(400);
    const html = await bad.text();
    expect(html).toContain("Topic: At most 200 characters");
    expect(html).toContain("Priority: Pick a priority from 0 to 9");
    expect(html).toMatch(/Body: .*deep/i);
    const twoLines = await post({ ...fresh, topic: "two\nlines", body: "1" });
    expect(await twoLines.text()).toContain("Topic: Control characters and line breaks are not allowed");
    expect((await net.sql("select count(*) as n from requests"))[0].n).toBe(before);
    await page.context().close();
  });

  it("the list shows only the user's requests, newest first, and filters by status", async () => {
    const page = await signIn(browser, net, user.email, { password: PW, next: LIST });
    const mine = await net.sql("select topic from requests where user_id = ? order by created_at desc, id desc", user.id);
    expect(mine.length).toBe(5);
    const caption = "Your requests, newest first";
    expect(await tableColumn(page, caption, 1)).toEqual(mine.map((r) => r.topic));
    expect(await tableColumn(page, caption, 1)).not.toContain("history");
    await page.getByLabel("Status").selectOption("submitted");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/status=submitted/);
    expect(await tableColumn(page, caption, 2)).toEqual(mine.map(() => "submitted"));
    await page.getByLabel("Status").selectOption("answered");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/status=answered/);
    expect(await page.locator("main").textContent()).toContain("None of your requests has this status.");
    const bogus = await page.goto(`${net.url}${LIST}?status=bogus`);
    expect(bogus!.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toContain("Status: Pick one of the listed statuses");
    await page.goto(net.url + LIST);
    await expectAccessible(page);
    await screenshot(page, "requests-list-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
    await screenshot(page, "requests-list-360");
    await page.context().close();
  });

  it("the answer arrives in a batch: the detail shows it pretty-printed and escaped, with the whole timeline; a rejection shows its reason", async () => {
    await link.toMaster();
    const answer = { total: 42, note: "<script>alert(1)</script>" };
    expect((await link.answer(ids.json, answer)).status).toBe(201);
    expect((await link.reject(ids.text, "Out of scope: <i>ask the other team</i>")).status).toBe(201);
    await link.toReplica();
    expect(await net.sql("select kind, body from responses where request_id = ?", ids.json)).toEqual([{ kind: "answer", body: JSON.stringify(answer) }]);

    const page = await signIn(browser, net, user.email, { password: PW, next: `${LIST}/${ids.json}` });
    expect(await page.locator("dl.facts .tag").first().textContent()).toBe("answered");
    expect(await page.getByRole("region", { name: "The answer" }).textContent()).toBe(JSON.stringify(answer, null, 2));
    expect(await page.locator("main script, main i").count()).toBe(0);
    const events = await net.sql("select status from request_events where request_id = ? order by at, id", ids.json);
    expect(await tableColumn(page, "Timeline, oldest first", 1)).toEqual(events.map((e) => e.status));
    expect(events.map((e) => e.status)).toEqual(expect.arrayContaining(["submitted", "exported", "received", "answered", "available"]));
    const batches = await tableColumn(page, "Timeline, oldest first", 4);
    expect(batches.filter((b) => /^#\d+$/.test(b)).length).toBeGreaterThanOrEqual(3);
    expect(await page.getByRole("button", { name: "Cancel this request" }).count()).toBe(0);
    expect(await page.locator(".note").count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, "request-detail-answered-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshot(page, "request-detail-answered-360");

    await page.goto(`${net.url}${LIST}/${ids.text}`);
    expect(await page.locator("#outcome-title").textContent()).toBe("Rejected");
    expect(await page.getByRole("region", { name: "Reason for the rejection" }).textContent()).toBe("Out of scope: <i>ask the other team</i>");
    expect(await page.locator("main i").count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, "request-detail-rejected-360");
    await page.context().close();
  });

  it("cancel asks first, then cancels through the API's service (the DB row, its event and its outbox record); an answered one cannot be", async () => {
    const page = await signIn(browser, net, user.email, { password: PW, next: LIST });
    const id = await submit(page, { topic: "Never mind", body: "{}" });
    await page.getByRole("button", { name: "Cancel this request" }).click();
    await page.waitForURL(`${net.url}${LIST}/${id}/cancel`);
    expect(await page.locator(".confirm").textContent()).toContain('Cancel the request "Never mind"? It will not be answered.');
    expect((await net.sql("select status from requests where id = ?", id))[0].status).toBe("submitted");
    await expectAccessible(page);
    await screenshot(page, "request-cancel-confirm-1280");
    await Promise.all([page.waitForURL(`${net.url}${LIST}/${id}`), page.getByRole("button", { name: "Yes, cancel it" }).click()]);
    expect(await page.getByRole("status").textContent()).toBe("Request cancelled.");
    const [row] = await net.sql("select status, cancelled_at, replica_version from requests where id = ?", id);
    expect(row).toMatchObject({ status: "cancelled", replica_version: 2 });
    expect(row.cancelled_at).toMatch(/^\d{4}-/);
    expect((await net.sql("select status from request_events where request_id = ? order by id", id)).map((e) => e.status)).toEqual(["submitted", "cancelled"]);
    expect(await net.sql("select version from outbox where kind = 'request' and entity_id = ? order by version", id)).toEqual([{ version: 1 }, { version: 2 }]);
    expect(await page.locator("main").textContent()).toContain("You cancelled this request; it will not be answered.");
    expect(await page.getByRole("button", { name: "Cancel this request" }).count()).toBe(0);

    // Answered already: refused with the reason, nothing changes.
    const html = await (await page.request.get(`${net.url}${LIST}/${ids.json}`)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const late = await page.request.post(`${net.url}${LIST}/${ids.json}/cancel`, { form: { _csrf: csrf, confirmed: "yes" } });
    expect(await late.text()).toContain("This request can no longer be cancelled: the request is already answered.");
    expect((await net.sql("select status from requests where id = ?", ids.json))[0].status).toBe("answered");
    await page.context().close();
  });

  it("another user's request is a 404 page, to read and to cancel; an operator reads it but may not cancel it", async () => {
    const other = await net.seedUser({ role: "user" });
    const page = await signIn(browser, net, other.email, { next: LIST });
    const res = await page.goto(`${net.url}${LIST}/${ids.json}`);
    expect(res!.status()).toBe(404);
    expect(await page.locator("main").textContent()).toContain("no such request");
    expect(await page.locator("main").textContent()).toContain("not_found");
    expect(await page.locator("main").textContent()).not.toContain("Quarterly numbers");
    await expectAccessible(page);
    await screenshot(page, "request-not-found-1280");
    const html = await (await page.request.get(net.url + LIST)).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const cancel = await page.request.post(`${net.url}${LIST}/${ids.json}/cancel`, { form: { _csrf: csrf, confirmed: "yes" } });
    expect(cancel.status()).toBe(404);
    expect((await net.sql("select status from requests where id = ?", ids.json))[0].status).toBe("answered");
    expect((await page.goto(`${net.url}${LIST}/${"x".repeat(65)}`))!.status()).toBe(404);
    await page.context().close();

    // An operator reads anyone's request (as GET /v1/requests/{id}) but cancels only their own.
    const op = await net.seedUser({ role: "operator" });
    const opPage = await signIn(browser, net, op.email, { next: LIST });
    const [pending] = await rowsOf("Sent twice");
    expect(await opPage.locator("main").textContent()).not.toContain("Sent twice");
    expect((await opPage.goto(`${net.url}${LIST}/${pending.id}`))!.status()).toBe(200);
    expect(await opPage.locator("h1").textContent()).toBe("Request: Sent twice");
    expect(await opPage.getByRole("button", { name: "Cancel this request" }).count()).toBe(0);
    const opCsrf = /name="_csrf" value="([^"]+)"/.exec(await opPage.content())![1];
    const refused = await opPage.request.post(`${net.url}${LIST}/${pending.id}/cancel`, { form: { _csrf: opCsrf, confirmed: "yes" } });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain("only the requester or an admin may cancel a request");
    expect((await net.sql("select status from requests where id = ?", pending.id))[0].status).not.toBe("cancelled");
    await opPage.context().close();
  });
});

describe("My requests and API keys on a Node request network (libSQL), in Chromium", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  beforeAll(async () => {
    net = await startConsoleNetwork("request");
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("submits, shows and cancels a request, and creates a key, through the same pages", async () => {
    const user = await net.seedUser({ role: "operator" });
    const page = await signIn(browser, net, user.email, { next: LIST });
    expect(await page.getByRole("navigation", { name: "Console pages" }).getByRole("link").allTextContents()).toEqual(["Home", "My requests", "Search", "API keys"]);
    await page.getByLabel("Topic").fill("On Node");
    await page.getByLabel("Body", { exact: true }).fill('{"x": true}');
    await Promise.all([page.waitForURL(/\/console\/requests\/req_/), page.getByRole("button", { name: "Submit the request" }).click()]);
    const id = idFrom(page);
    expect(await net.sql("select user_id, body, status from requests where id = ?", id)).toEqual([{ user_id: user.id, body: '{"x":true}', status: "submitted" }]);
    // No history yet: no estimate, and the page says why.
    expect(await page.locator(".note").textContent()).toContain("No estimate yet");
    await page.getByRole("button", { name: "Cancel this request" }).click();
    await Promise.all([page.waitForURL(`${net.url}${LIST}/${id}`), page.getByRole("button", { name: "Yes, cancel it" }).click()]);
    expect((await net.sql("select status from requests where id = ?", id))[0].status).toBe("cancelled");
    await page.goto(`${net.url}/console/keys`);
    // An operator's key may also read metrics.
    await page.getByLabel("Name").fill("scraper");
    await page.getByLabel("metrics:read").check();
    await Promise.all([page.waitForURL(`${net.url}/console/keys/create`), page.getByRole("button", { name: "Create the key" }).click()]);
    const secret = await page.getByLabel("The new API key").inputValue();
    expect((await net.sql("select scopes from api_keys where user_id = ?", user.id))[0].scopes).toBe('["metrics:read"]');
    expect((await fetch(`${net.url}/v1/me`, { headers: { "x-api-key": secret } })).status).toBe(200);
    await expectAccessible(page);
    await page.context().close();
  });
});
