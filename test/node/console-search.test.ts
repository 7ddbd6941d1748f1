// The search page in Chromium: on the response network (Node, libSQL file) operators find every
// request by the words of its topic, body or answer; on the request network (the real Worker in
// workerd, real D1, answers carried in real batches) a user finds only their own requests.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { requestEvents, requests } from "../../schema/index.ts";
import { type ConsoleNetwork, PASSWORD, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";
import { type Json, masterFor } from "../helpers/console-requester.ts";

const SEARCH = "/console/search";
const PW = "a long enough password";

/** Each result on the page: its heading's link (or text), and the snippets as "Field: text" with the marked words. */
const resultsOf = (page: Page) =>
  page.locator("ol.results > li").evaluateAll((lis) =>
    lis.map((li) => ({
      href: li.querySelector("h3 a")?.getAttribute("href") ?? null,
      topic: li.querySelector("h3")?.textContent ?? "",
      snippets: [...li.querySelectorAll("dl.snippets dt")].map((dt) => `${dt.textContent}: ${dt.nextElementSibling?.textContent}`),
      marks: [...li.querySelectorAll("mark")].map((m) => m.textContent),
      elements: [...new Set([...li.querySelectorAll("dl.snippets dd *")].map((e) => e.tagName.toLowerCase()))],
    })),
  );

async function search(page: Page, url: string, q: string, expected = 200) {
  await page.goto(`${url}${SEARCH}`);
  await page.getByLabel("Words to find").fill(q);
  const [res] = await Promise.all([page.waitForResponse((r) => r.url().includes(`${SEARCH}?`)), page.getByRole("button", { name: "Search", exact: true }).click()]);
  expect(res.status()).toBe(expected);
  await page.waitForLoadState();
  return res;
}

async function atBothWidths(page: Page, name: string) {
  await expectAccessible(page);
  await screenshot(page, `${name}-1280`);
  await page.setViewportSize({ width: 360, height: 800 });
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await expectAccessible(page);
  await screenshot(page, `${name}-360`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe("console search, response network (Node, libSQL file, Chromium)", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let op: { id: string; email: string };
  let requester: { id: string; email: string };
  let token: string;

  /** A request as the master holds it after an import (the search index follows the insert, as it follows an import's). */
  async function received(topic: string, body: unknown) {
    const s = net.services!;
    const at = s.clock.now().toISOString();
    const id = `req_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
    await s.db.orm
      .insert(requests)
      .values({ id, userId: requester.id, topic, body: JSON.stringify(body), priority: 1, status: "received", createdAt: at, updatedAt: at, replicaVersion: 1, masterVersion: 1 });
    await s.db.orm.insert(requestEvents).values({ requestId: id, status: "received", at, network: s.config.networkId, batchSequence: 1 });
    return id;
  }
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(net.url + path, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers } });
    return { status: res.status, body: (await res.json()) as Json };
  };

  beforeAll(async () => {
    net = await startConsoleNetwork("response");
    op = await net.seedUser({ role: "operator", name: "Otto Operator" });
    requester = await net.seedUser({ role: "user" });
    const login = await fetch(`${net.url}/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: op.email, password: PASSWORD }),
    });
    token = ((await login.json()) as Json).access_token;
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("finds by words of the topic, the body and the answer, marks them, escapes the text, and links to the queue page", async () => {
    const tides = await received("Harbour tides", { question: "When is high water at <b>Brest</b>?", also: "Le Conquet is nearby" });
    const other = await received("Bakery hours", { question: "Is the bakery open on Sunday?" });
    const answered = await api(`/v1/requests/${other}/response`, { method: "POST", body: JSON.stringify({ body: { answer: "Closed on Sundays, open from seven otherwise" } }) });
    expect(answered.status).toBe(201);

    const page = await signIn(browser, net, op.email, { next: "/console/queue" });
    // The header's search box leads to the page.
    await page.getByLabel("Search requests").fill("harbour");
    await Promise.all([page.waitForURL(/\/console\/search\?q=harbour/), page.getByRole("button", { name: "Search", exact: true }).click()]);
    expect(await page.locator("h1").textContent()).toBe("Search");
    expect(await page.getByLabel("Words to find").inputValue()).toBe("harbour");
    expect(await page.locator("nav.pages a[aria-current=page]").textContent()).toBe("Search");
    expect(await page.locator("header .top-search").count()).toBe(0); // not twice on the search page
    expect(await resultsOf(page)).toEqual([
      { href: `/console/queue/${tides}`, topic: "Harbour tides", snippets: ["Topic: Harbour tides"], marks: ["Harbour"], elements: ["mark"] },
    ]);
    expect(await page.locator("ol.results .meta").textContent()).toContain(`by ${requester.email}`);

    // A word of the body: the snippet is plain text, the request's markup shown as characters.
    await search(page, net.url, "brest");
    const [byBody] = await resultsOf(page);
    expect(byBody).toMatchObject({ href: `/console/queue/${tides}`, marks: ["Brest"], elements: ["mark"] });
    expect(byBody.snippets).toEqual([expect.stringMatching(/^Request: When is high water at <b>Brest<\/b>\?/)]);

    // A word of the answer, and the request's page it links to.
    await search(page, net.url, "sundays");
    expect(await resultsOf(page)).toEqual([
      {
        href: `/console/queue/${other}`,
        topic: "Bakery hours",
        snippets: ["Answer or reason: Closed on Sundays, open from seven otherwise"],
        marks: ["Sundays"],
        elements: ["mark"],
      },
    ]);
    await atBothWidths(page, "search-response-results");
    await Promise.all([page.waitForURL(`**/console/queue/${other}`), page.getByRole("link", { name: "Bakery hours" }).click()]);
    expect(await page.locator("h1").textContent()).toContain("Bakery hours");

    // Two words in different fields must both match; a prefix of the last word; nothing else.
    await search(page, net.url, "bakery clos");
    expect((await resultsOf(page)).map((r) => r.href)).toEqual([`/console/queue/${other}`]);
    expect((await resultsOf(page))[0].marks).toEqual(["Bakery", "bakery", "Closed"]);
    await search(page, net.url, "bakery brest");
    expect(await page.locator("main p.empty").textContent()).toBe("No request matches these words.");
    await page.context().close();
  });

  it("FTS5 syntax is plain words or a field error (400 with the service's message), never a 500", async () => {
    await received("Nearest station", { q: "which platform is near the exit" });
    const page = await signIn(browser, net, op.email, { next: SEARCH });
    // `"NEAR(` is the word "near" (quoted: not a prefix); `NEAR(` its prefix, which also finds "Nearest" and the earlier "nearby".
    await search(page, net.url, '"NEAR(');
    expect((await resultsOf(page)).map((r) => r.topic)).toEqual(["Nearest station"]);
    await search(page, net.url, "NEAR(");
    expect((await resultsOf(page)).map((r) => r.topic)).toEqual(["Nearest station", "Harbour tides"]);
    await search(page, net.url, "OR AND NOT platform");
    expect(await page.locator("main p.empty").textContent()).toBe("No request matches these words.");

    for (const [q, message] of [
      ["*", "The query has no word to search for (letters or digits)"],
      ['" - ^ ()', "The query has no word to search for (letters or digits)"],
      ["a b c d e f g h i j k l m", "The query has 13 words; at most 12"],
    ]) {
      await search(page, net.url, q, 400);
      expect(await page.getByRole("alert").textContent()).toBe(`There is a problemWords to find: ${message}`);
      expect(await page.locator("#f-q-error").textContent()).toBe(message);
      expect(await page.getByLabel("Words to find").getAttribute("aria-invalid")).toBe("true");
      expect(await page.getByLabel("Words to find").inputValue()).toBe(q);
      expect(await page.locator("ol.results").count()).toBe(0);
    }
    // The API refuses the same query with the same problem code.
    expect(await api(`/v1/search?q=${encodeURIComponent("*")}`)).toMatchObject({ status: 400, body: { code: "search_query_invalid" } });
    await atBothWidths(page, "search-error");
    // Past the input's maxlength (sent by hand), and a page link this search did not hand out.
    const long = await page.request.get(`${net.url}${SEARCH}?q=${"x".repeat(201)}`);
    expect(long.status()).toBe(400);
    expect(await long.text()).toContain("The query is longer than 200 characters");
    const cursor = await page.request.get(`${net.url}${SEARCH}?q=tides&cursor=bogus`);
    expect(cursor.status()).toBe(400);
    expect(await cursor.text()).toContain("This page link is not one of this search&#39;s: search again from the first page");
    await page.context().close();
  });

  it("pages with the cursor, newest first, in the API's order", async () => {
    const made: string[] = [];
    for (let i = 0; i < 23; i++) made.push(await received(`Pallet ${i}`, { note: `forklift inventory ${i}` }));
    const page = await signIn(browser, net, op.email, { next: SEARCH });
    await search(page, net.url, "forklift");
    const first = (await resultsOf(page)).map((r) => r.href!.split("/").pop());
    expect(first).toHaveLength(20);
    await Promise.all([page.waitForURL(/cursor=/), page.getByRole("link", { name: "Next page" }).click()]);
    expect(await page.locator("#h-results").textContent()).toBe("More results");
    const second = (await resultsOf(page)).map((r) => r.href!.split("/").pop());
    expect([...first, ...second]).toEqual([...made].reverse());
    expect(await page.getByRole("link", { name: "Next page" }).count()).toBe(0);
    const fromApi = await api("/v1/search?q=forklift&limit=20");
    expect(fromApi.body.items.map((i: Json) => i.id)).toEqual(first);
    await Promise.all([page.waitForURL((u) => !u.search.includes("cursor")), page.getByRole("link", { name: "First page" }).click()]);
    expect((await resultsOf(page)).map((r) => r.href!.split("/").pop())).toEqual(first);
    await page.context().close();
  });

  it("a courier has no search page, and the page says why", async () => {
    const courier = await net.seedUser({ role: "courier" });
    const page = await signIn(browser, net, courier.email);
    const res = await page.goto(`${net.url}${SEARCH}?q=tides`);
    expect(res!.status()).toBe(403);
    expect(await page.locator("main").textContent()).toContain("Search needs the role admin or operator or user; you are signed in as");
    expect(await page.locator("header .top-search").count()).toBe(0);
    await page.context().close();
  });
});

describe("console search, request network (the Worker in workerd, real D1, answers carried from a Node master, Chromium)", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let link: Awaited<ReturnType<typeof masterFor>>;
  let alice: { id: string; email: string };
  let bob: { id: string; email: string };

  const submitAs = async (email: string, topic: string, body: unknown) => {
    const login = (await (
      await fetch(`${net.url}/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password: PW }) })
    ).json()) as Json;
    const res = await fetch(`${net.url}/v1/requests`, {
      method: "POST",
      headers: { authorization: `Bearer ${login.access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ topic, body }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as Json).id as string;
  };

  beforeAll(async () => {
    net = await startConsoleNetwork("request", { runtime: "workerd" });
    link = await masterFor(net);
    alice = await link.createUser({ role: "user", name: "Alice", password: PW });
    bob = await link.createUser({ role: "user", name: "Bob", password: PW });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("a user finds their own requests, and an answer carried back in a batch by its words; never someone else's", async () => {
    const mine = await submitAs(alice.email, "Lighthouse keeper", { question: "Who kept the lighthouse at Kermorvan?" });
    const theirs = await submitAs(bob.email, "Lighthouse paint", { question: "Which colour is the lighthouse at Saint-Mathieu?" });
    await link.toMaster();
    expect((await link.answer(mine, "Nobody since automation in nineteen ninety", "text/plain")).status).toBe(201);
    await link.toReplica();
    expect(await net.sql("select status from requests where id = ?", mine)).toEqual([{ status: "answered" }]);

    const page = await signIn(browser, net, alice.email, { password: PW, next: SEARCH });
    expect(new URL(page.url()).pathname).toBe(SEARCH);
    await search(page, net.url, "lighthouse");
    expect(await resultsOf(page)).toEqual([
      {
        href: `/console/requests/${mine}`,
        topic: "Lighthouse keeper",
        snippets: ["Topic: Lighthouse keeper", "Request: Who kept the lighthouse at Kermorvan?"],
        marks: ["Lighthouse", "lighthouse"],
        elements: ["mark"],
      },
    ]);
    expect(await page.locator("ol.results .meta").textContent()).not.toContain(" by ");
    // Words only in Bob's request: nothing, and nothing hints at it.
    await search(page, net.url, "Saint-Mathieu");
    expect(await page.locator("main p.empty").textContent()).toBe("No request matches these words.");
    expect(await page.content()).not.toContain(theirs);
    // The answer that came back in the batch.
    await search(page, net.url, "automation");
    expect(await resultsOf(page)).toEqual([
      {
        href: `/console/requests/${mine}`,
        topic: "Lighthouse keeper",
        snippets: ["Answer or reason: Nobody since automation in nineteen ninety"],
        marks: ["automation"],
        elements: ["mark"],
      },
    ]);
    await atBothWidths(page, "search-request-results");
    await Promise.all([page.waitForURL(`**/console/requests/${mine}`), page.getByRole("link", { name: "Lighthouse keeper" }).click()]);
    expect(await page.locator("main").textContent()).toContain("Nobody since automation in nineteen ninety");
    // A bad query in workerd is the same field error.
    await search(page, net.url, "*", 400);
    expect(await page.locator("#f-q-error").textContent()).toBe("The query has no word to search for (letters or digits)");
    await page.context().close();

    // Bob finds his own, not Alice's.
    const bobs = await signIn(browser, net, bob.email, { password: PW, next: SEARCH });
    await search(bobs, net.url, "lighthouse");
    expect((await resultsOf(bobs)).map((r) => r.href)).toEqual([`/console/requests/${theirs}`]);
    await search(bobs, net.url, "automation");
    expect(await bobs.locator("main p.empty").textContent()).toBe("No request matches these words.");
    await bobs.context().close();
  });
});
