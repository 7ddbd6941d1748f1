// The cache page in Chromium on the response network (Node), its cache in real Redis through the
// Upstash-compatible endpoint (src/upstash-endpoint/), as the request network's Upstash would be.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type ConsoleNetwork, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";
import { deleteKeysWithPrefix, getRedisUrl, startUpstashEndpoint, type RedisHandle, type UpstashEndpointHandle } from "../helpers/redis.ts";
import { countKeys, entryKey, readThrough } from "../../src/requests/response-cache.ts";

describe("cache page (response network on Node, real Redis through the Upstash-compatible endpoint), in Chromium", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let redis: RedisHandle;
  let upstash: UpstashEndpointHandle;
  // Its own network id: its own key namespace on the shared Redis.
  const networkId = `console-cache-${crypto.randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    redis = await getRedisUrl();
    upstash = await startUpstashEndpoint(redis.url);
    net = await startConsoleNetwork("response", {
      env: {
        UPSTASH_REDIS_REST_URL: upstash.url,
        UPSTASH_REDIS_REST_TOKEN: upstash.token,
        AIRLOCK_NETWORK_ID: networkId,
        // Generous bounds for a busy test machine, as in the requests suites: with the 200 ms default a
        // cold first call could time out, and sign-in fails closed when the limiter does not answer.
        AIRLOCK_CACHE_TIMEOUT_MS: "2000",
        AIRLOCK_RATE_LIMIT_TIMEOUT_MS: "2000",
      },
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
    await upstash?.close();
    if (redis) await deleteKeysWithPrefix(redis.url, `airlock:${networkId}:`);
    await redis?.stop();
  });

  /** Cached through the same read-through path as GET /v1/requests/{id}/response. */
  const cache = async (requestId: string, userId: string) => readThrough(net.services!, { requestId, userId, etag: `"v1"`, load: async () => ({ id: requestId, answer: "42" }) });
  const alive = (ids: string[]) => net.services!.cache.exists(ids.map(entryKey));
  const confirmStep = async (page: Page, button: string, confirm: string) => {
    await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: button }).click()]);
    await page.waitForSelector(".confirm");
    return Promise.all([page.waitForLoadState(), page.getByRole("button", { name: confirm }).click()]);
  };

  it("shows the statistics; clears one user, a pattern and everything, each after a confirmation, audited", async () => {
    const s = net.services!;
    expect(s.cache.kind).toBe("upstash");
    const admin = await net.seedUser({ role: "admin" });
    const [a, b, c] = [await net.seedUser(), await net.seedUser(), await net.seedUser()];
    for (const [req, user] of [
      ["req_a1", a.id],
      ["req_a2", a.id],
      ["req_b1", b.id],
      ["req_c1", c.id],
    ])
      expect((await cache(req, user)).outcome).toBe("miss");
    expect((await cache("req_a1", a.id)).outcome).toBe("hit");

    // Sign-in lands on the dashboard, whose cache card reads the statistics through the endpoint.
    const page = await signIn(browser, net, admin.email);
    expect(new URL(page.url()).pathname).toBe("/console");
    expect(await page.locator("#hit-ratio").textContent()).toBe("20 %");
    await page.getByRole("link", { name: "Cache details and clearing" }).click();
    await page.waitForURL((u) => u.pathname === "/console/cache");
    const stats = await page.locator("#cache-stats").textContent();
    expect(stats).toContain("Hit ratio20 %"); // 5 reads, 4 misses
    expect(stats).toMatch(/Reads5: 1 hits, 4 misses, 0 stale/);
    expect(await page.locator("#cached-responses").textContent()).toBe("4");
    await expectAccessible(page);
    await screenshot(page, "cache-1280");

    // A pattern outside the API's rule: the field says why, nothing is deleted.
    await page.getByLabel("Key pattern").fill("resp:{all}");
    await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: "Delete matching entries" }).click()]);
    expect(await page.locator("#f-pattern-error").textContent()).toContain("1 to 200 characters");
    expect(await alive(["req_a1", "req_a2", "req_b1", "req_c1"])).toEqual([true, true, true, true]);

    // One user, by e-mail address: the confirmation first (cancel keeps everything), then only their keys go.
    await page.goto(`${net.url}/console/cache`);
    await page.getByLabel("User").fill(a.email);
    await Promise.all([page.waitForLoadState(), page.getByRole("button", { name: "Clear this user's entries" }).click()]);
    expect(await page.locator(".confirm").textContent()).toContain(`Clear the cached responses of ${a.email}?`);
    await expectAccessible(page);
    await screenshot(page, "cache-confirm-360");
    await Promise.all([page.waitForLoadState(), page.getByRole("link", { name: "Cancel" }).click()]);
    expect(await alive(["req_a1", "req_a2"])).toEqual([true, true]);
    await page.getByLabel("User").fill(a.email);
    await confirmStep(page, "Clear this user's entries", "Yes, clear this user's entries");
    expect(await page.getByRole("status").textContent()).toBe(`Entries of ${a.email} cleared: 2 keys deleted (airlock:${networkId}:cache:idx:user:${a.id}).`);
    expect(await alive(["req_a1", "req_a2", "req_b1", "req_c1"])).toEqual([false, false, true, true]);
    expect(await net.sql("select action, target_id, actor_id, outcome from audit_log where action like 'cache.%'")).toEqual([
      { action: "cache.clear_user", target_id: a.id, actor_id: admin.id, outcome: "success" },
    ]);

    // A pattern: only the matching entries.
    await page.getByLabel("Key pattern").fill("resp:req_b*");
    await confirmStep(page, "Delete matching entries", "Yes, delete them");
    expect(await page.getByRole("status").textContent()).toBe(`Entries matching resp:req_b* deleted: 1 key deleted (airlock:${networkId}:cache:resp:req_b*).`);
    expect(await alive(["req_b1", "req_c1"])).toEqual([false, true]);

    // Everything: no key of this network's cache is left.
    await confirmStep(page, "Clear the whole cache", "Yes, clear the whole cache");
    expect(await page.getByRole("status").textContent()).toMatch(/^Cache cleared: \d+ keys? deleted \(airlock:console-cache-\w+:cache:\*\)\.$/);
    expect(await countKeys(s)).toEqual({ responses: 0, user_indexes: 0, other: 0, truncated: false });
    expect(await page.locator("#cached-responses").textContent()).toBe("0");
    expect((await net.sql("select action from audit_log where action like 'cache.%' order by seq")).map((r) => r.action)).toEqual([
      "cache.clear_user",
      "cache.invalidate",
      "cache.clear",
    ]);
    await page.setViewportSize({ width: 360, height: 800 });
    await expectAccessible(page);
    await screenshot(page, "cache-360");
    await page.context().close();
  }, 90_000);

  it("an operator sees a 403 page naming the role needed; an unknown user is a field error", async () => {
    const op = await net.seedUser({ role: "operator" });
    const opPage = await signIn(browser, net, op.email, { next: "/console/cache" });
    expect((await opPage.reload())!.status()).toBe(403);
    expect(await opPage.locator("main").textContent()).toContain("Cache needs the role admin");
    await opPage.context().close();
    const admin = await net.seedUser({ role: "admin" });
    const page = await signIn(browser, net, admin.email, { next: "/console/cache" });
    await page.getByLabel("User").fill("nobody@example.com");
    const [res] = await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Clear this user's entries" }).click()]);
    expect(res!.status()).toBe(400);
    expect(await page.locator("#f-user-error").textContent()).toBe("No account has this id or e-mail address");
    await page.context().close();
  }, 60_000);
});
