import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { createApp } from "../../src/app.ts";
import { updateUser } from "../../src/identity/users.ts";
import { CONSOLE_CSP } from "../../src/console/headers.ts";
import { type ConsoleNetwork, expectAccessible, launchChromium, newPage, screenshot, signIn, startConsoleNetwork } from "../helpers/console.ts";

describe("console foundation (response network on Node, request network in workerd, Chromium)", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  let admin: { id: string; email: string };
  beforeAll(async () => {
    net = await startConsoleNetwork("response", { env: { AIRLOCK_LOGIN_MAX_FAILURES: "3" } });
    admin = await net.seedUser({ role: "admin", name: "Ada Admin" });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("serves the CSP and cookie attributes; the stylesheet is a versioned, long-cached file; /admin redirects; not in /openapi.json", async () => {
    const res = await fetch(`${net.url}/console/sign-in`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).not.toContain("unsafe-inline");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
    // Plain http on loopback: no Secure, so no __Host- prefix (src/console/cookies.ts).
    expect(res.headers.get("set-cookie")).toMatch(/^airlock_csrf=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const html = await res.text();
    expect(html).not.toMatch(/<script|style=|<style/);
    const css = /href="(\/console\/static\/[0-9a-f]{8}\/console\.css)"/.exec(html)![1];
    const sheet = await fetch(net.url + css);
    expect(sheet.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(sheet.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await sheet.text()).toContain(":focus-visible");
    // Anywhere but local http: __Host- and Secure.
    const https = await createApp(net.services!).request("https://airlock.example/console/sign-in");
    expect(https.headers.get("set-cookie")).toMatch(/^__Host-airlock_csrf=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const admin = await fetch(`${net.url}/admin`, { redirect: "manual" });
    expect([admin.status, admin.headers.get("location")]).toEqual([302, "/console"]);
    const doc = (await (await fetch(`${net.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/console") || p.startsWith("/admin"))).toEqual([]);
    const unauth = await fetch(`${net.url}/console/audit?action=x`, { redirect: "manual" });
    expect([unauth.status, unauth.headers.get("location")]).toEqual([303, "/console/sign-in?next=%2Fconsole%2Faudit%3Faction%3Dx"]);
  });

  it("sign-in: a wrong password shows the error on the form; repeated failures show the lockout", async () => {
    const victim = await net.seedUser({ role: "operator" });
    const page = await newPage(browser);
    await page.goto(`${net.url}/console/sign-in`);
    await page.getByLabel("E-mail address").fill(victim.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("The e-mail address or password is wrong.");
    expect(await page.getByLabel("E-mail address").getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel("E-mail address").inputValue()).toBe(victim.email);
    await expectAccessible(page);
    await screenshot(page, "sign-in-error-1280");
    for (let i = 0; i < 3; i++) {
      await page.getByLabel("Password").fill("still not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForLoadState();
    }
    expect(await page.getByRole("alert").textContent()).toMatch(/Too many failed logins for this account; it is locked for \d+ s more\./);
    // The same lockout as POST /v1/auth/token, because it is the same service.
    const api = await fetch(`${net.url}/v1/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: victim.email, password: "x" }),
    });
    expect(((await api.json()) as { code: string }).code).toBe("rate_limited");
    const failures = await net.sql("select count(*) as n from audit_log where action = 'auth.login' and outcome = 'failure' and target_id = ?", victim.id);
    expect(Number(failures[0].n)).toBe(3);
    await page.context().close();
  });

  it("the audit page lists the database's entries, filters them, and the chain check shows its result (also when broken)", async () => {
    const page = await signIn(browser, net, admin.email, { next: "/console/audit" });
    expect(new URL(page.url()).pathname).toBe("/console/audit");
    const seqs = async () => (await page.locator("tbody tr td:first-child").allTextContents()).map(Number);
    const all = await net.sql("select seq from audit_log order by seq desc limit 50");
    expect(await seqs()).toEqual(all.map((r) => Number(r.seq)));
    await page.getByLabel("Action").fill("auth.login");
    await page.getByLabel("Outcome").selectOption("failure");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=failure/);
    const failed = await net.sql("select seq from audit_log where action = 'auth.login' and outcome = 'failure' order by seq desc");
    expect(failed.length).toBeGreaterThan(0);
    expect(await seqs()).toEqual(failed.map((r) => Number(r.seq)));
    // An actor by e-mail address.
    await page.goto(`${net.url}/console/audit?actor=${encodeURIComponent(admin.email)}`);
    const mine = await net.sql("select seq from audit_log where actor_id = ? order by seq desc", admin.id);
    expect(mine.length).toBeGreaterThan(0);
    expect(await seqs()).toEqual(mine.map((r) => Number(r.seq)));
    // A bad date: the summary links to the field, 400, no list.
    const bad = await page.goto(`${net.url}/console/audit?since=2026-13-45`);
    expect(bad!.status()).toBe(400);
    await page.getByRole("link", { name: /From \(UTC\): Enter a date/ }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("f-since");
    await expectAccessible(page);

    await page.goto(`${net.url}/console/audit`);
    await page.getByRole("button", { name: "Check the hash chain" }).click();
    await page.waitForURL(`${net.url}/console/audit`);
    const count = Number((await net.sql("select count(*) as n from audit_log"))[0].n);
    expect(await page.getByRole("status").textContent()).toBe(`Hash chain intact: ${count} entries checked.`);
    await expectAccessible(page);
    await screenshot(page, "audit-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await expectAccessible(page);
    await screenshot(page, "audit-360");

    await net.sql("update audit_log set details = '{\"tampered\":true}' where seq = 2");
    await page.getByRole("button", { name: "Check the hash chain" }).click();
    await page.waitForURL(`${net.url}/console/audit`);
    expect(await page.getByRole("alert").textContent()).toBe("Hash chain broken at entry 2: entry content does not match its hash (1 entries before it are intact).");
    await page.context().close();
  });

  it("CSRF: a form post without the token (or from another origin) is refused with 403 and changes nothing", async () => {
    const page = await signIn(browser, net, admin.email);
    const before = await net.sql("select count(*) as n from refresh_tokens where user_id = ? and revoked_at is null", admin.id);
    const noToken = await page.request.post(`${net.url}/console/sign-out`, { form: { x: "1" }, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    expect(noToken.headers()["content-security-policy"]).toBe(CONSOLE_CSP);
    expect(await noToken.text()).toContain('<code class="problem-code">csrf_failed</code>');
    const html = await (await page.request.get(`${net.url}/console`)).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const foreign = await page.request.post(`${net.url}/console/sign-out`, { form: { _csrf: token }, headers: { origin: "https://evil.example" }, maxRedirects: 0 });
    expect(foreign.status()).toBe(403);
    expect(await foreign.text()).toContain("The form was sent from another site.");
    expect(await net.sql("select count(*) as n from refresh_tokens where user_id = ? and revoked_at is null", admin.id)).toEqual(before);
    expect((await page.request.get(`${net.url}/console/audit`, { maxRedirects: 0 })).status()).toBe(200);
    await page.goto(`${net.url}/console/sign-in?x=1`);
    // Signed in already: sign-in goes on to the console.
    expect(new URL(page.url()).pathname).toBe("/console");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/console\/sign-in$/);
    expect(await page.getByRole("status").textContent()).toBe("You have signed out.");
    expect(Number((await net.sql("select count(*) as n from refresh_tokens where user_id = ? and revoked_at is null", admin.id))[0].n)).toBe(Number(before[0].n) - 1);
    await page.context().close();
  });

  it("a user without the role sees a 403 page that says why, and no admin links", async () => {
    const user = await net.seedUser({ role: "user" });
    const page = await signIn(browser, net, user.email);
    expect(await page.getByRole("navigation", { name: "Console pages" }).getByRole("link").allTextContents()).toEqual(["Home", "Search"]);
    const res = await page.goto(`${net.url}/console/audit`);
    expect(res!.status()).toBe(403);
    expect(await page.locator("main").textContent()).toContain(`Audit log needs the role admin; you are signed in as ${user.email} with the role user.`);
    expect(await page.locator("main").textContent()).toContain("forbidden");
    expect(await page.locator("a[href='/console/audit']").count()).toBe(0);
    await expectAccessible(page);
    await screenshot(page, "forbidden-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, "forbidden-360");
    await page.context().close();
  });

  it("disabling the account ends the console session: the next page load goes to sign-in with the reason", async () => {
    const op = await net.seedUser({ role: "admin" });
    const page = await signIn(browser, net, op.email);
    await page.goto(`${net.url}/console/audit`);
    await updateUser(net.services!, op.id, { status: "disabled" }, { actorType: "system" });
    await page.goto(`${net.url}/console/audit`);
    expect(new URL(page.url()).pathname).toBe("/console/sign-in");
    expect(await page.getByRole("alert").textContent()).toBe("Your session has ended: the account is disabled or unknown. Sign in again.");
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain("airlock_session");
    await expectAccessible(page);
    await screenshot(page, "sign-in-ended-360");
    await page.context().close();
  });

  it("the session cookie is HttpOnly and SameSite=Strict; keyboard only: skip link, then the nav", async () => {
    const page = await signIn(browser, net, admin.email);
    const cookie = (await page.context().cookies()).find((c) => c.name === "airlock_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", secure: false, path: "/", expires: -1 });
    expect(cookie.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+~rt_[\w-]+$/);
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    await page.goto(`${net.url}/console/nope`);
    expect(await page.locator("main").textContent()).toContain("not_found");
    await expectAccessible(page);
    await page.context().close();
  });
});

describe("console on the request network in workerd (Miniflare, real D1), in Chromium", () => {
  let browser: Browser;
  let net: ConsoleNetwork;
  beforeAll(async () => {
    net = await startConsoleNetwork("request", { runtime: "workerd" });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await net?.close();
  });

  it("signs in a user and shows the pages for the role, accessible at 1280 and 360 px", async () => {
    const user = await net.seedUser({ role: "user", name: "Rita Requester" });
    const page = await signIn(browser, net, user.email);
    expect(new URL(page.url()).pathname).toBe("/console");
    expect(await page.locator("header").textContent()).toContain("Request network (airlock-request)");
    expect(await page.locator("header").textContent()).toContain("Rita Requester");
    const logins = await net.sql("select outcome from audit_log where action = 'auth.login' and actor_id = ?", user.id);
    expect(logins).toEqual([{ outcome: "success" }]);
    await expectAccessible(page);
    await screenshot(page, "request-home-1280");
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot(page, "request-home-360");
    await page.context().close();
  });
});
