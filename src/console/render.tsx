import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ConsoleEnv } from "./env.ts";
import { takeFlash } from "./flash.ts";
import { Layout, type NavItem } from "./layout.tsx";

/** A whole page: the layout around `body`, as an HTML response (the security headers come from the console's middleware). */
export async function renderPage(c: Context<ConsoleEnv>, o: { title: string; body: Child; nav: NavItem[]; status?: ContentfulStatusCode }): Promise<Response> {
  const s = c.get("services");
  const page = (
    <Layout title={o.title} network={{ role: s.config.role, id: s.config.networkId }} user={c.get("consoleUser")} nav={o.nav} flash={takeFlash(c)}>
      {o.body}
    </Layout>
  );
  return c.html(`<!doctype html>${await page.toString()}`, o.status ?? 200);
}
