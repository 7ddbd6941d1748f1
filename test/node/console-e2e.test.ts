// The whole console, end to end, in Chromium: the response network on Node (libSQL file, its
// cache in real Redis through the Upstash-compatible endpoint) and the request network as the
// real Worker in workerd (D1), linked by real batches that the ferry's own code carries through
// the transfer endpoints. Every step goes through the pages; each is checked on the page and in
// the database, with axe and a screenshot of every page visited (test-artifacts/console/e2e-*.png).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { type ConsoleNetwork, PASSWORD, expectAccessible, launchChromium, newPage, screenshot, startConsoleNetwork } from "../helpers/console.ts";
import { courierBetween } from "../helpers/console-requester.ts";
import { tempDir } from "../helpers/node-app.ts";
import { deleteKeysWithPrefix, getRedisUrl, startUpstashEndpoint, type RedisHandle, type UpstashEndpointHandle } from "../helpers/redis.ts";
import { entryKey } from "../../src/requests/response-cache.ts";

type Json = Record<string, any>;

const tag = crypto.randomUUID().slice(0, 8);
// Their own network ids: their own key namespace on the shared Redis, and each names the other as its peer.
const RESPONSE_ID = `e2e-response-${tag}`;
const REQUEST_ID = `e2e-request-${tag}`;
const USER_PASSWORD = "a long enough password for Rosa";
const TOPIC = "Spring tides at Ushant";
const BODY = { question: "When is the next spring tide at the Créac'h lighthouse?", port: "Lampaul" };
const ANSWER = "Saturday 06:12 UTC, coefficient ninety-five; expect strong currents in the Fromveur passage.";

describe("console end to end: both networks linked by real batches, in Chromium", () => {
  let browser: Browser;
  let response: ConsoleNetwork;
  let request: ConsoleNetwork;
  let redis: RedisHandle;
  let upstash: UpstashEndpointHandle;
  let courier: ReturnType<typeof courierBetween>;
  let visited = 0;

  beforeAll(async () => {
    redis = await getRedisUrl();
    upstash = await startUpstashEndpoint(redis.url);
    [response, request, browser] = await Promise.all([
      startConsoleNetwork("response", {
        env: {
          UPSTASH_REDIS_REST_URL: upstash.url,
          UPSTASH_REDIS_REST_TOKEN: upstash.token,
          // The production budgets (200 ms) are for a nearby store; on the shared, loaded test machine a
          // slow answer would refuse a sign-in (the limiter fails closed) or bypass the cache, which is not what this test is about.
          AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "5000",
          AIRLOCK_CACHE_TIMEOUT_MS: "5000",
          AIRLOCK_NETWORK_ID: RESPONSE_ID,
          AIRLOCK_PEER_NETWORK_ID: REQUEST_ID,
        },
      }),
      startConsoleNetwork("request", { runtime: "workerd", env: { AIRLOCK_NETWORK_ID: REQUEST_ID, AIRLOCK_PEER_NETWORK_ID: RESPONSE_ID } }),
      launchChromium(),
    ]);
    courier = courierBetween(response, request);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([request?.close(), response?.close()]);
    await upstash?.close();
    if (redis) await deleteKeysWithPrefix(redis.url, `airlock:${RESPONSE_ID}:`);
    await redis?.stop();
  });

  /** Every page visited: no serious or critical axe violation, and its screenshot. */
  async function visit(page: Page, name: string) {
    await page.locator("main h1").waitFor();
    await expectAccessible(page);
    await screenshot(page, `e2e-${String(++visited).padStart(2, "0")}-${name}`);
  }
  /** A click that loads a page (a link or a form's button), then the page's check. */
  async function go(page: Page, click: Promise<void> | (() => Promise<void>), name: string) {
    await Promise.all([page.waitForEvent("load"), typeof click === "function" ? click() : click]);
    await visit(page, name);
  }
  async function signInThrough(net: ConsoleNetwork, email: string, password: string, name: string) {
    const page = await newPage(browser);
    await page.goto(`${net.url}/console/sign-in`);
    await visit(page, `${name}-sign-in`);
    await page.getByLabel("E-mail address").fill(email);
    await page.getByLabel("Password").fill(password);
    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Sign in" }).click()]);
    expect(new URL(page.url()).pathname, (await page.locator("main").textContent()) ?? "").not.toBe("/console/sign-in");
    return page;
  }
  const flash = (page: Page, role: "status" | "alert" = "status") => page.locator(`main .flash[role=${role}]`).textContent();

  it("sign in, create a user, submit, see it arrive, find it, answer it, read the answer, refuse a tampered batch, clear the cache", async () => {
    // 1. An admin signs in on the response network and lands on the dashboard: nothing yet.
    const admin = await response.seedUser({ role: "admin", name: "Ada Admin" });
    const operator = await response.seedUser({ role: "operator", name: "Otto Operator" });
    const adminPage = await signInThrough(response, admin.email, PASSWORD, "response");
    expect(new URL(adminPage.url()).pathname).toBe("/console");
    await visit(adminPage, "response-dashboard-empty");
    expect(await adminPage.locator("#status-counts dd[data-status=received]").textContent()).toBe("0");

    // 2. The admin creates a user on the Users page.
    await go(adminPage, adminPage.getByRole("link", { name: "Users", exact: true }).click(), "response-users");
    await go(adminPage, adminPage.getByRole("link", { name: "Create a user" }).click(), "response-user-new");
    const email = `rosa-${tag}@example.com`;
    await adminPage.getByLabel("E-mail address").fill(email);
    await adminPage.getByLabel("Name").fill("Rosa Requester");
    await adminPage.getByLabel("Role").selectOption("user");
    await adminPage.getByLabel("Password").fill(USER_PASSWORD);
    await go(adminPage, adminPage.getByRole("button", { name: "Create the user" }).click(), "response-user-created");
    expect(await flash(adminPage)).toBe(`User ${email} created with the role user.`);
    const [created] = await response.sql("select id, email, name, role, status, version from users where email = ?", email);
    expect(created).toEqual({ id: expect.stringMatching(/^usr_/), email, name: "Rosa Requester", role: "user", status: "active", version: 1 });
    expect(new URL(adminPage.url()).pathname).toBe(`/console/users/${created.id}`);

    // 3. Carry: the account reaches the request network in a batch.
    const first = await courier.toRequest();
    expect(first.applied).toBeGreaterThanOrEqual(1);
    expect(await request.sql("select id, email, role, status from users where email = ?", email)).toEqual([{ id: created.id, email, role: "user", status: "active" }]);

    // 4. The user signs in on the request network and submits a request on My requests.
    const userPage = await signInThrough(request, email, USER_PASSWORD, "request");
    expect(new URL(userPage.url()).pathname).toBe("/console");
    await go(userPage, userPage.getByRole("link", { name: "My requests" }).first().click(), "request-my-requests");
    await userPage.getByLabel("Topic").fill(TOPIC);
    await userPage.getByLabel("Priority").selectOption("5");
    await userPage.getByLabel("The body is").selectOption("json");
    await userPage.getByLabel("Body", { exact: true }).fill(JSON.stringify(BODY));
    await go(userPage, userPage.getByRole("button", { name: "Submit the request" }).click(), "request-submitted");
    expect(await flash(userPage)).toBe("Request submitted.");
    const id = new URL(userPage.url()).pathname.split("/").pop()!;
    expect(await request.sql("select id, user_id, topic, body, priority, status from requests")).toEqual([
      { id, user_id: created.id, topic: TOPIC, body: JSON.stringify(BODY), priority: 5, status: "submitted" },
    ]);

    // 5. Carry: the request reaches the response network.
    expect((await courier.toResponse()).applied).toBeGreaterThanOrEqual(1);
    expect(await response.sql("select id, user_id, topic, priority, status from requests")).toEqual([{ id, user_id: created.id, topic: TOPIC, priority: 5, status: "received" }]);

    // 6. The operator sees it arrive: the dashboard's counts, then the queue.
    const opPage = await signInThrough(response, operator.email, PASSWORD, "operator");
    await visit(opPage, "operator-dashboard");
    expect(await opPage.locator("#status-counts dd[data-status=received]").textContent()).toBe("1");
    expect(await opPage.locator("#oldest-pending").textContent()).toContain(id);
    await go(opPage, opPage.getByRole("link", { name: "Queue", exact: true }).click(), "operator-queue");
    expect(await opPage.locator("main p.lead").textContent()).toBe("1 open request matches. Most urgent first, then oldest first.");
    expect(await opPage.locator("tbody tr td:nth-child(2) a").getAttribute("href")).toBe(`/console/queue/${id}`);
    expect(await opPage.locator("tbody tr").textContent()).toContain(email);

    // 7. The operator finds it by a word of its body, from the header's search box.
    await opPage.getByLabel("Search requests").fill("Lampaul");
    await go(opPage, opPage.getByRole("button", { name: "Search", exact: true }).click(), "operator-search");
    expect(new URL(opPage.url()).search).toBe("?q=Lampaul");
    const result = opPage.locator("ol.results > li");
    expect(await result.count()).toBe(1);
    expect(await result.locator("mark").allTextContents()).toEqual(["Lampaul"]);
    expect(await result.locator("dd").textContent()).toContain("When is the next spring tide at the Créac'h lighthouse? Lampaul");

    // 8. It answers it in the queue: preview (nothing written), then send.
    await go(opPage, result.getByRole("link", { name: TOPIC }).click(), "operator-queue-item");
    expect(new URL(opPage.url()).pathname).toBe(`/console/queue/${id}`);
    await opPage.getByLabel("Format").selectOption("text");
    await opPage.getByLabel("Answer text").fill(ANSWER);
    await go(opPage, opPage.getByRole("button", { name: "Preview" }).click(), "operator-answer-preview");
    expect(await opPage.getByRole("region", { name: "Preview of the answer" }).textContent()).toContain(ANSWER);
    expect(await response.sql("select count(*) as n from responses")).toEqual([{ n: 0 }]);
    await go(opPage, opPage.getByRole("button", { name: "Send the answer" }).click(), "operator-answer-sent");
    expect(await flash(opPage)).toBe("Answer sent; it leaves with the next batch.");
    expect(await response.sql("select kind, body, content_type, answered_by, version from responses where request_id = ?", id)).toEqual([
      { kind: "answer", body: ANSWER, content_type: "text/plain; charset=utf-8", answered_by: operator.id, version: 1 },
    ]);
    expect(await response.sql("select status from requests where id = ?", id)).toEqual([{ status: "answered" }]);

    // 9. Carry: the answer reaches the request network.
    expect((await courier.toRequest()).applied).toBeGreaterThanOrEqual(1);
    expect(await request.sql("select r.status, s.kind, s.body from requests r join responses s on s.request_id = r.id where r.id = ?", id)).toEqual([
      { status: "answered", kind: "answer", body: ANSWER },
    ]);

    // 10. The user sees the answer on the request's page, and finds it by a word of the answer.
    await userPage.reload();
    await visit(userPage, "request-answered");
    expect(await userPage.locator("#outcome-title").textContent()).toBe("Answer");
    expect(await userPage.getByRole("region", { name: "The answer" }).textContent()).toBe(ANSWER);
    await userPage.getByLabel("Search requests").fill("coefficient");
    await go(userPage, userPage.getByRole("button", { name: "Search", exact: true }).click(), "request-search");
    const found = userPage.locator("ol.results > li");
    expect(await found.count()).toBe(1);
    expect(await found.locator("h3 a").getAttribute("href")).toBe(`/console/requests/${id}`);
    expect(await found.locator("dt").allTextContents()).toEqual(["Answer or reason"]);
    expect(await found.locator("mark").allTextContents()).toEqual(["coefficient"]);
    await userPage.context().close();

    // 11. The admin uploads a tampered copy of the batch that carried the request: refused, with the reason.
    const carried = [...courier.toResponse.files.values()].at(-1)!;
    const tampered = new Uint8Array(carried);
    tampered[tampered.length - 20] ^= 0xff;
    const path = join(await tempDir(), "tampered.batch");
    await writeFile(path, tampered);
    const receiptsBefore = await response.sql("select id from batches_in");
    await go(adminPage, adminPage.getByRole("link", { name: "Transfer", exact: true }).click(), "response-transfer");
    await adminPage.getByLabel("Batch file").setInputFiles(path);
    await go(adminPage, adminPage.getByRole("button", { name: "Upload and verify" }).click(), "response-transfer-refused");
    const [receipt] = await response.sql(
      `select id, outcome, reason from batches_in where id not in (${receiptsBefore.map(() => "?").join(",") || "''"})`,
      ...receiptsBefore.map((r) => r.id),
    );
    expect(receipt).toEqual({ id: expect.stringMatching(/^rcv_/), outcome: "quarantined", reason: expect.stringMatching(/\w/) });
    expect(await flash(adminPage, "alert")).toBe(`Upload of tampered.batch: batch quarantined (receipt ${receipt.id}): ${receipt.reason}`);
    const row = adminPage.locator("section[aria-label='Received batches, newest first'] tbody tr").first();
    expect(await row.locator("td").nth(1).textContent()).toBe("quarantined");
    expect(await row.locator("td").nth(2).textContent()).toBe(receipt.reason);
    expect(await response.sql("select count(*) as n from requests")).toEqual([{ n: 1 }]);

    // 12. The admin clears the cache after the confirmation: the answer cached by a read through the API is gone.
    const token = (
      (await (
        await fetch(`${response.url}/v1/auth/token`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: admin.email, password: PASSWORD }),
        })
      ).json()) as Json
    ).access_token;
    const read = () => fetch(`${response.url}/v1/requests/${id}/response`, { headers: { authorization: `Bearer ${token}` } });
    expect([(await read()).headers.get("x-cache"), (await read()).headers.get("x-cache")]).toEqual(["miss", "hit"]);
    expect(await response.services!.cache.exists([entryKey(id)])).toEqual([true]);
    await go(adminPage, adminPage.getByRole("link", { name: "Cache", exact: true }).click(), "response-cache");
    expect(await adminPage.locator("#cached-responses").textContent()).toBe("1");
    await go(adminPage, adminPage.getByRole("button", { name: "Clear the whole cache" }).click(), "response-cache-confirm");
    expect(await adminPage.locator(".confirm").textContent()).toContain("Clear every cached response of this network?");
    expect(await response.services!.cache.exists([entryKey(id)])).toEqual([true]);
    await go(adminPage, adminPage.getByRole("button", { name: "Yes, clear the whole cache" }).click(), "response-cache-cleared");
    expect(await flash(adminPage)).toMatch(new RegExp(`^Cache cleared: \\d+ keys? deleted \\(airlock:${RESPONSE_ID}:cache:\\*\\)\\.$`));
    expect(await adminPage.locator("#cached-responses").textContent()).toBe("0");
    expect(await response.services!.cache.exists([entryKey(id)])).toEqual([false]);
    expect(await response.sql("select action, actor_id, outcome from audit_log where action like 'cache.%'")).toEqual([
      { action: "cache.clear", actor_id: admin.id, outcome: "success" },
    ]);
    await adminPage.context().close();
    await opPage.context().close();
  }, 120_000);
});
