import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type ConsoleNetwork, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";

const PATH = "/console/keys";
const CAPTION = "Your API keys, newest first";

describe("API keys in the console (request network in workerd, real D1, Chromium)", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let user: { id: string; email: string };
  let secret: string;
  let keyId: string;
  beforeAll(async () => {
    net = await startConsoleNetwork("request", { runtime: "workerd" });
    user = await net.seedUser({ role: "user", name: "Kim Keys" });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  const me = (key: string) => fetch(`${net.url}/v1/me`, { headers: { "x-api-key": key } });
  const keysNamed = (name: string) => net.sql("select id, user_id, name, prefix, key_hash, scopes, expires_at, revoked_at from api_keys where name = ?", name);
  const column = (page: Page, n: number) => page.locator(`section[aria-label="${CAPTION}"] tbody tr td:nth-child(${n})`).allTextContents();

  it("create: the secret once, in a no-store response and nowhere else; the row in D1; the key works against GET /v1/me", async () => {
    const page = await signIn(browser, net, user.email, { next: PATH });
    expect(await page.locator("main").textContent()).toContain("You have no API keys.");
    // Only the scopes a user's key may hold are offered.
    const offered = await page.locator("fieldset.checks input[type=checkbox]").evaluateAll((els) => els.map((e) => (e as HTMLInputElement).name));
    expect(offered).toEqual(["scope.requests:read", "scope.requests:write", "scope.webhooks:read", "scope.webhooks:write"]);
    await expectAccessible(page);
    await screenshot(page, "keys-1280");

    await page.getByLabel("Name").fill("nightly-report");
    await page.getByLabel("requests:read").check();
    const expiry = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel("Expires after (UTC date)").fill(expiry);
    const [res] = await Promise.all([page.waitForResponse(`${net.url}${PATH}/create`), page.getByRole("button", { name: "Create the key" }).click()]);
    expect(res.status()).toBe(201);
    expect(res.headers()["cache-control"]).toBe("no-store");
    expect(res.headers()["set-cookie"] ?? "").not.toContain("airlock_flash");
    await page.waitForLoadState();
    secret = await page.getByLabel("The new API key").inputValue();
    expect(secret).toMatch(/^ak_[\w-]{40,}$/);
    expect(page.url()).toBe(`${net.url}${PATH}/create`);
    expect(await page.locator("#secret-title").textContent()).toBe('Your new key "nightly-report"');

    const [row] = await keysNamed("nightly-report");
    keyId = row.id as string;
    expect(row).toMatchObject({ user_id: user.id, prefix: secret.slice(0, 11), scopes: '["requests:read"]', expires_at: `${expiry}T23:59:59.000Z`, revoked_at: null });
    expect(row.key_hash).toBe(createHash("sha256").update(secret).digest("hex"));
    // Kept nowhere in clear: not in the audit log, the form's token record, the outbox, or a cookie.
    for (const table of ["audit_log", "idempotency_keys", "outbox"]) {
      const rows = await net.sql(`select * from ${table}`);
      expect(JSON.stringify(rows)).not.toContain(secret);
    }
    expect(JSON.stringify(await page.context().cookies())).not.toContain(secret);
    expect(await column(page, 1)).toEqual(["nightly-report"]);
    expect(await column(page, 3)).toEqual(["requests:read"]);
    expect(await column(page, 4)).toEqual(["active"]);
    await expectAccessible(page);
    await screenshot(page, "keys-created-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await screenshot(page, "keys-created-360");

    // Reloading (the browser may send the form again) neither shows it again nor makes a second key.
    await page.reload();
    await page.waitForLoadState();
    expect(await page.content()).not.toContain(secret);
    expect(await page.locator("#new-key").count()).toBe(0);
    expect(await keysNamed("nightly-report")).toHaveLength(1);
    await page.goto(net.url + PATH);
    expect(await page.content()).not.toContain(secret);

    const who = await me(secret);
    expect(who.status).toBe(200);
    expect(await who.json()).toMatchObject({ id: user.id, email: user.email });
    const [used] = await net.sql("select last_used_at from api_keys where id = ?", keyId);
    expect(used.last_used_at).toMatch(/^\d{4}-/);
    await page.reload();
    expect((await column(page, 6))[0]).toMatch(/UTC/);
    await expectAccessible(page);
    await screenshot(page, "keys-360");
    await page.context().close();
  });

  it("the same form sent twice makes one key and says so; bad input re-renders the form and writes nothing", async () => {
    const page = await signIn(browser, net, user.email, { next: PATH });
    await page.getByLabel("Name").fill("twice");
    const form = await page.locator(`form[action="${PATH}/create"]`).evaluate((f) => Object.fromEntries(new FormData(f as HTMLFormElement)) as Record<string, string>);
    const post = (data: Record<string, string>) => page.request.post(`${net.url}${PATH}/create`, { form: data, maxRedirects: 0 });
    const first = await post(form);
    expect(first.status()).toBe(201);
    const shown = /id="new-key"[^>]*value="(ak_[^"]+)"|value="(ak_[^"]+)"[^>]*id="new-key"/.exec(await first.text());
    expect(shown).not.toBeNull();
    const again = await post(form);
    expect([again.status(), again.headers().location]).toEqual([303, PATH]);
    expect(await keysNamed("twice")).toHaveLength(1);
    await page.goto(net.url + PATH);
    expect(await page.getByRole("status").textContent()).toContain("This form was sent already: the key it created is listed below.");
    expect(await page.content()).not.toContain(shown![1] ?? shown![2]);

    const before = (await net.sql("select count(*) as n from api_keys"))[0].n;
    const fresh = await page.locator(`form[action="${PATH}/create"]`).evaluate((f) => Object.fromEntries(new FormData(f as HTMLFormElement)) as Record<string, string>);
    const noName = await post({ ...fresh, name: "  " });
    expect(noName.status()).toBe(400);
    expect(await noName.text()).toContain("Name: Enter a name of 1 to 100 characters");
    // A scope beyond the role, sent past the form: the service refuses it.
    const admin = await post({ ...fresh, name: "too much", "scope.users:read": "on" });
    expect(admin.status()).toBe(400);
    expect(await admin.text()).toContain("Scopes: not available to the role user");
    const past = await post({ ...fresh, name: "old", expires: "2020-01-01" });
    expect(past.status()).toBe(400);
    expect(await past.text()).toContain("Expires after (UTC date): Pick a date in the future");
    expect((await net.sql("select count(*) as n from api_keys"))[0].n).toBe(before);
    await page.getByLabel("Name").fill("");
    await page.getByLabel("Expires after (UTC date)").fill("2020-01-01");
    await page.getByLabel("Name").fill("x");
    await Promise.all([page.waitForResponse(`${net.url}${PATH}/create`), page.getByRole("button", { name: "Create the key" }).click()]);
    await page.waitForLoadState();
    expect(await page.getByRole("alert").textContent()).toContain("Expires after (UTC date): Pick a date in the future");
    await expectAccessible(page);
    await screenshot(page, "keys-error-1280");
    await page.context().close();
  });

  it("revoke asks first; then revoked_at is set in D1 and the key is refused", async () => {
    const page = await signIn(browser, net, user.email, { next: PATH });
    await page.getByRole("button", { name: "Revoke nightly-report" }).click();
    await page.waitForURL(`${net.url}${PATH}/revoke`);
    expect(await page.locator(".confirm").textContent()).toContain(`Revoke the key "nightly-report" (${secret.slice(0, 11)}…)?`);
    expect((await net.sql("select revoked_at from api_keys where id = ?", keyId))[0].revoked_at).toBeNull();
    await expectAccessible(page);
    await screenshot(page, "keys-revoke-confirm-360");
    await Promise.all([page.waitForURL(net.url + PATH), page.getByRole("button", { name: "Yes, revoke it" }).click()]);
    expect(await page.getByRole("status").textContent()).toBe(`Key "nightly-report" (${secret.slice(0, 11)}…) revoked.`);
    const [row] = await net.sql("select revoked_at, revoked_by from api_keys where id = ?", keyId);
    expect(row.revoked_at).toMatch(/^\d{4}-/);
    expect(row.revoked_by).toBe(user.id);
    const refused = await me(secret);
    expect(refused.status).toBe(401);
    const names = await column(page, 1);
    expect((await column(page, 4))[names.indexOf("nightly-report")]).toBe("revoked");
    await page.getByLabel("Show").selectOption("active");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/show=active/);
    expect(await column(page, 1)).not.toContain("nightly-report");
    await expectAccessible(page);

    // Someone else's key: "not found", and it stays as it is.
    const other = await net.seedUser({ role: "user" });
    const intruder = await signIn(browser, net, other.email, { next: PATH });
    const twice = (await keysNamed("twice"))[0].id as string;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await intruder.content())![1];
    const res = await intruder.request.post(`${net.url}${PATH}/revoke`, { form: { _csrf: csrf, id: twice, confirmed: "yes" } });
    expect(res.status()).toBe(404);
    expect((await net.sql("select revoked_at from api_keys where id = ?", twice))[0].revoked_at).toBeNull();
    await intruder.context().close();
    await page.context().close();
  });
});
