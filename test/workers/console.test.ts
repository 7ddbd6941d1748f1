import { describe, expect, it } from "vitest";
import { workerHarness } from "./harness.ts";
import { PASSWORD, seedUser } from "../helpers/identity-fixtures.ts";
import { CONSOLE_CSP } from "../../src/console/headers.ts";

const BASE = "https://airlock-request.example";
const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .find((c) => c.startsWith(`${name}=`))!;

describe("console in workerd (real D1)", () => {
  it("renders /console/sign-in, refuses a wrong password and signs in; the session opens the console", async () => {
    const { app, services } = await workerHarness.app();
    const user = await seedUser(services, { role: "user", name: "Wendy Worker" });
    const page = await app.request(`${BASE}/console/sign-in`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    const html = await page.text();
    expect(html).toContain("Request network (airlock-request)");
    expect(html).toContain('<label for="f-email">E-mail address</label>');
    // https: the __Host- prefix and Secure.
    expect(page.headers.getSetCookie()[0]).toMatch(/^__Host-airlock_csrf=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    const post = (body: Record<string, string>, cookie: string) =>
      app.request(`${BASE}/console/sign-in`, {
        method: "POST",
        headers: { cookie, origin: BASE, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body).toString(),
      });
    const pre = cookieOf(page, "__Host-airlock_csrf");
    const wrong = await post({ _csrf: csrf, email: user.email, password: "wrong password", next: "/console" }, pre);
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("The e-mail address or password is wrong.");
    const ok = await post({ _csrf: csrf, email: user.email, password: PASSWORD, next: "/console" }, pre);
    expect([ok.status, ok.headers.get("location")]).toEqual([303, "/console"]);
    const session = cookieOf(ok, "__Host-airlock_session");
    expect(ok.headers.getSetCookie().find((c) => c.startsWith("__Host-airlock_session="))).toMatch(/; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    const home = await app.request(`${BASE}/console`, { headers: { cookie: session } });
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("Wendy Worker");
    const audit = await services.db.orm.all<{ outcome: string }>(`select outcome from audit_log where action = 'auth.login' and target_id = '${user.id}' order by seq`);
    expect(audit.map((r) => r.outcome)).toEqual(["failure", "success"]);
  });
});
