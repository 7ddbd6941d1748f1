// The users pages on the response network (Node, libSQL file) in Chromium: list and filters, create,
// role, disable/enable, per-user limits, password reset and API key revocation, each checked in the
// database and by what the account can do afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { type ConsoleNetwork, PASSWORD, expectAccessible, launchChromium, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";

describe("console users (response network on Node, Chromium)", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let admin: { id: string; email: string };

  const userRow = async (id: string) => (await net.sql("select email, name, role, status, rate_limits, version from users where id = ?", id))[0];
  const login = (email: string, password: string) =>
    fetch(`${net.url}/v1/auth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  const emailsOnPage = async (page: Page) => page.locator("tbody tr td:first-child a").allTextContents();
  const openUser = async (id: string) => signIn(browser, net, admin.email, { next: `/console/users/${id}` });

  beforeAll(async () => {
    net = await startConsoleNetwork("response");
    admin = await net.seedUser({ role: "admin", name: "Ada Admin" });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("lists users oldest first and filters by e-mail prefix, role and status", async () => {
    await net.seedUser({ role: "operator", email: "night-op@example.com" });
    await net.seedUser({ role: "user", email: "night-user@example.com", status: "disabled" });
    await net.seedUser({ role: "user", email: "day-user@example.com" });
    const page = await signIn(browser, net, admin.email, { next: "/console/users" });
    const all = await net.sql("select email from users order by created_at, id");
    expect(await emailsOnPage(page)).toEqual(all.map((r) => r.email));
    await page.getByLabel("E-mail address starts with").fill("NIGHT");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/email=NIGHT/);
    expect(await emailsOnPage(page)).toEqual(["night-op@example.com", "night-user@example.com"]);
    await page.getByLabel("Status").selectOption("disabled");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/status=disabled/);
    expect(await emailsOnPage(page)).toEqual(["night-user@example.com"]);
    await page.goto(`${net.url}/console/users?role=operator`);
    expect(await emailsOnPage(page)).toEqual((await net.sql("select email from users where role = 'operator' order by created_at, id")).map((r) => r.email));
    await page.goto(`${net.url}/console/users`);
    await expectAccessible(page);
    await screenshot(page, "users-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
    await screenshot(page, "users-360");
    await page.context().close();
  });

  it("creates a user (policy and duplicate errors on the form; then the user can sign in)", async () => {
    const page = await signIn(browser, net, admin.email, { next: "/console/users" });
    await page.getByRole("link", { name: "Create a user" }).click();
    await page.waitForURL(/\/console\/users\/new$/);
    await page.getByLabel("E-mail address").fill("new.person@example.com");
    await page.getByLabel("Name").fill("New Person");
    await page.getByLabel("Role").selectOption("operator");
    await page.getByLabel("Password").fill("short");
    const [bad] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/create")), page.getByRole("button", { name: "Create the user" }).click()]);
    expect(bad.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toContain("Password: Password must be at least 12 characters long.");
    expect(await page.getByLabel("E-mail address").inputValue()).toBe("new.person@example.com");
    expect(await page.getByLabel("Password").inputValue()).toBe("");
    expect(await net.sql("select id from users where email = 'new.person@example.com'")).toEqual([]);
    await expectAccessible(page);
    await screenshot(page, "users-new-error-360");

    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Create the user" }).click();
    await page.waitForURL(/\/console\/users\/usr_/);
    expect(await page.getByRole("status").textContent()).toBe("User new.person@example.com created with the role operator.");
    const [row] = await net.sql("select id, name, role, status from users where email = 'new.person@example.com'");
    expect(row).toMatchObject({ name: "New Person", role: "operator", status: "active" });
    expect(await net.sql("select action, actor_id from audit_log where action = 'user.create' and target_id = ?", row.id)).toEqual([{ action: "user.create", actor_id: admin.id }]);
    expect(await net.sql("select kind from outbox where entity_id = ?", row.id)).toEqual([{ kind: "user" }]);
    await expectAccessible(page);
    await screenshot(page, "users-detail-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, "users-detail-360");

    // The same address again: a field error, no second row.
    await page.goto(`${net.url}/console/users/new`);
    await page.getByLabel("E-mail address").fill("NEW.person@example.com");
    await page.getByLabel("Name").fill("Twin");
    await page.getByLabel("Password").fill("another long password");
    await page.getByRole("button", { name: "Create the user" }).click();
    expect(await page.getByRole("alert").textContent()).toContain("E-mail address: Another user has this e-mail address");
    expect(await net.sql("select count(*) as n from users where email_normalized = 'new.person@example.com'")).toEqual([{ n: 1 }]);
    await page.context().close();

    const theirs = await signIn(browser, net, "new.person@example.com", { password: "a long enough password", next: "/console/queue" });
    expect(new URL(theirs.url()).pathname).toBe("/console/queue");
    expect(await theirs.locator("header").textContent()).toContain("New Person");
    await theirs.context().close();
  });

  it("changes the role, and refuses to demote the last admin with the reason", async () => {
    const u = await net.seedUser({ role: "user" });
    const page = await openUser(u.id);
    await page.getByLabel("Role").selectOption("operator");
    await page.getByRole("button", { name: "Change the role" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect(await page.getByRole("status").textContent()).toBe("The role is now operator.");
    expect(await userRow(u.id)).toMatchObject({ role: "operator", version: 2 });
    expect(await net.sql("select details from audit_log where action = 'user.update' and target_id = ?", u.id)).toEqual([
      { details: JSON.stringify({ changed: ["role"], role: { from: "user", to: "operator" } }) },
    ]);

    // Every other admin disabled: the signed-in admin is the last one.
    await net.sql("update users set status = 'disabled' where role = 'admin' and id != ?", admin.id);
    await page.goto(`${net.url}/console/users/${admin.id}`);
    await page.getByLabel("Role").selectOption("user");
    await page.getByRole("button", { name: "Change the role" }).click();
    await page.waitForURL(`${net.url}/console/users/${admin.id}`);
    expect(await page.getByRole("alert").textContent()).toBe("Not changed: make another user an active admin first.");
    expect((await userRow(admin.id)).role).toBe("admin");
    await page.context().close();
  });

  it("disabling asks first, then ends the user's session; enabling lets them back in", async () => {
    const u = await net.seedUser({ role: "operator" });
    const theirs = await signIn(browser, net, u.email, { next: "/console/queue" });
    const page = await openUser(u.id);
    await page.getByRole("button", { name: "Disable this account" }).click();
    await page.waitForURL(/\/disable$/);
    expect(await page.locator(".confirm").textContent()).toContain(`Disable ${u.email}? Their sessions end at once`);
    expect((await userRow(u.id)).status).toBe("active");
    await expectAccessible(page);
    await screenshot(page, "users-disable-confirm-1280");
    await page.getByRole("button", { name: "Yes, disable" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect(await page.getByRole("status").textContent()).toBe(`${u.email} is disabled; their sessions have ended.`);
    expect((await userRow(u.id)).status).toBe("disabled");
    expect(await net.sql("select count(*) as n from refresh_tokens where user_id = ? and revoked_at is null", u.id)).toEqual([{ n: 0 }]);
    await theirs.goto(`${net.url}/console/queue`);
    expect(new URL(theirs.url()).pathname).toBe("/console/sign-in");
    expect(await theirs.getByRole("alert").textContent()).toContain("Your session has ended");
    expect((await login(u.email, PASSWORD)).status).toBe(403);

    await page.getByRole("button", { name: "Enable this account" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect((await userRow(u.id)).status).toBe("active");
    expect((await login(u.email, PASSWORD)).status).toBe(200);
    await theirs.context().close();
    await page.context().close();
  });

  it("sets per-user rate limits (a bad number is a field error), and removes the override", async () => {
    const u = await net.seedUser({ role: "user" });
    const page = await openUser(u.id);
    await page.getByLabel("Per minute").fill("5");
    await page.getByLabel("Per day").fill("abc");
    const [bad] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/limits")), page.getByRole("button", { name: "Save the limits" }).click()]);
    expect(bad.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toContain("Per day: Enter a whole number of requests, or leave it blank");
    expect(await page.getByLabel("Per minute").inputValue()).toBe("5");
    expect((await userRow(u.id)).rate_limits).toBeNull();
    await page.getByLabel("Per day").fill("100");
    await page.getByRole("button", { name: "Save the limits" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect(await page.getByRole("status").textContent()).toBe("The rate limits are saved.");
    expect(JSON.parse(String((await userRow(u.id)).rate_limits))).toEqual({ minute: 5, day: 100 });
    const applied = await page.getByRole("table", { name: "Limits that apply now" }).locator("tbody tr").allTextContents();
    expect(applied).toEqual(["minute5this user's override", "hour1000role default", "day100this user's override"]);
    await expectAccessible(page);

    for (const w of ["Per minute", "Per hour", "Per day"]) await page.getByLabel(w).fill("");
    await page.getByRole("button", { name: "Save the limits" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect(await page.getByRole("status").textContent()).toBe("The override is removed: the role's defaults apply.");
    expect((await userRow(u.id)).rate_limits).toBeNull();
    await page.context().close();
  });

  it("resets a password after the tick-box confirmation: the old one fails, the new one works", async () => {
    const u = await net.seedUser({ role: "user" });
    const page = await openUser(u.id);
    // Without the tick (the browser would stop it; the server checks too).
    const csrf = await page.locator("input[name=_csrf]").first().inputValue();
    const unticked = await page.request.post(`${net.url}/console/users/${u.id}/password`, { form: { _csrf: csrf, password: "brand new password 1" }, maxRedirects: 0 });
    expect(unticked.status()).toBe(400);
    expect(await unticked.text()).toContain("Tick the box to confirm");
    expect((await login(u.email, PASSWORD)).status).toBe(200);

    await page.getByLabel("New password").fill("brand new password 1");
    await page.getByLabel(/Yes, set this password/).check();
    await page.getByRole("button", { name: "Reset the password" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect(await page.getByRole("status").textContent()).toBe("The password is reset; the user's sessions have ended.");
    expect((await login(u.email, PASSWORD)).status).toBe(401);
    expect((await login(u.email, "brand new password 1")).status).toBe(200);
    expect(await net.sql("select count(*) as n from audit_log where action = 'user.password_reset' and target_id = ?", u.id)).toEqual([{ n: 1 }]);
    expect(await page.content()).not.toContain("brand new password 1");
    await page.context().close();
  });

  it("revokes one API key, then all the others, each after a confirmation (revoked_at set, revocations in the outbox)", async () => {
    const u = await net.seedUser({ role: "user" });
    const now = new Date().toISOString();
    for (const n of [1, 2, 3]) {
      await net.sql(
        "insert into api_keys (id, user_id, name, prefix, key_hash, scopes, created_at, version) values (?, ?, ?, ?, ?, '[]', ?, 1)",
        `key_${u.id}_${n}`,
        u.id,
        `key ${n}`,
        `ak_test000${n}`,
        `${u.id}-hash-${n}`,
        now,
      );
    }
    const page = await openUser(u.id);
    await page.getByRole("button", { name: "Revoke ak_test0002" }).click();
    await page.waitForURL(/\/revoke-key$/);
    expect(await page.locator(".confirm").textContent()).toContain(`Revoke the key ak_test0002 (“key 2”) of ${u.email}?`);
    expect(await net.sql("select count(*) as n from api_keys where user_id = ? and revoked_at is not null", u.id)).toEqual([{ n: 0 }]);
    await expectAccessible(page);
    await page.getByRole("button", { name: "Yes, revoke it" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect(await page.getByRole("status").textContent()).toBe("The key ak_test0002 is revoked.");
    const revoked = async () =>
      (await net.sql("select id from api_keys where user_id = ? and revoked_at is not null and revoked_by = ? order by id", u.id, admin.id)).map((r) => r.id);
    expect(await revoked()).toEqual([`key_${u.id}_2`]);

    await page.getByRole("button", { name: "Revoke all 2 active keys" }).click();
    await page.waitForURL(/\/revoke-keys$/);
    await page.getByRole("button", { name: "Yes, revoke them all" }).click();
    await page.waitForURL(`${net.url}/console/users/${u.id}`);
    expect(await page.getByRole("status").textContent()).toBe("2 API keys revoked.");
    expect(await revoked()).toEqual([1, 2, 3].map((n) => `key_${u.id}_${n}`));
    expect(await net.sql("select count(*) as n from outbox where kind = 'api_key_revocation' and entity_id like ?", `key_${u.id}_%`)).toEqual([{ n: 3 }]);
    expect(await page.getByRole("button", { name: /Revoke/ }).count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, "users-keys-revoked-1280");
    await page.context().close();
  });

  it("an operator sees no users page, and the page says why", async () => {
    const op = await net.seedUser({ role: "operator" });
    const page = await signIn(browser, net, op.email);
    expect(await page.locator("a[href='/console/users']").count()).toBe(0);
    const res = await page.goto(`${net.url}/console/users/${admin.id}`);
    expect(res!.status()).toBe(403);
    expect(await page.locator("main").textContent()).toContain("User needs the role admin");
    await page.context().close();
  });
});
