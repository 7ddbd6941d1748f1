import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { App } from "../http/router.ts";
import { ApiError } from "../errors.ts";
import { checkAccess } from "../identity/access.ts";
import { SESSION_ONLY } from "../identity/scopes.ts";
import { rateLimit } from "../middleware/rate-limit.ts";
import type { ConsoleEnv } from "./env.ts";
import type { ConsolePage, PageContext } from "./page.ts";
import type { NavItem } from "./layout.tsx";
import { securityHeaders, serverTiming } from "./headers.ts";
import { serveAsset } from "./assets.ts";
import { consoleSession } from "./session.ts";
import { formPosts, field } from "./forms.ts";
import { setFlash, type Flash } from "./flash.ts";
import { renderPage } from "./render.tsx";
import { errorPage } from "./errors.tsx";
import { ConfirmStep, CONFIRM_FIELD } from "./components/confirm.tsx";
import { withQuery } from "./components/table.tsx";
import { CSRF_FIELD } from "./csrf.ts";
import { PAGES } from "./pages/index.ts";
import { registerSignIn } from "./pages/sign-in.tsx";

export const CONSOLE_PREFIX = "/console";
const isConsolePath = (path: string) => path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`);

const served = (page: ConsolePage, c: Context<ConsoleEnv>) => !page.networks || page.networks.includes(c.get("services").config.role);

/** The nav: the pages with a label this user may open on this network. */
export function navFor(c: Context<ConsoleEnv>): NavItem[] {
  const user = c.get("consoleUser");
  if (!user) return [];
  return PAGES.filter((p) => p.nav && served(p, c) && p.roles.includes(user.role)).map((p) => ({ href: p.path, label: p.nav!, current: c.req.path === p.path }));
}

/** Signed out: to sign-in (saying why a session ended), then back here. Wrong role: a 403 page naming the role needed and the one held. */
function gate(page: ConsolePage): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const network = c.get("services").config.role;
    if (!served(page, c)) throw new ApiError("wrong_network", { detail: `${page.title} is not served on the ${network} network.` });
    const user = c.get("consoleUser");
    if (!user) {
      const ended = c.get("sessionEnded");
      if (ended) setFlash(c, { kind: "error", text: `Your session has ended: ${ended}. Sign in again.` });
      const url = new URL(c.req.url);
      return c.redirect(withQuery("/console/sign-in", { next: c.req.method === "GET" ? url.pathname + url.search : undefined }), 303);
    }
    try {
      checkAccess({ roles: page.roles, scope: SESSION_ONLY }, c.get("principal"));
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== "forbidden") throw e;
      throw new ApiError("forbidden", { detail: `${page.title} needs the role ${page.roles.join(" or ")}; you are signed in as ${user.email} with the role ${user.role}.` });
    }
    await next();
  };
}

function pageContext(c: Context<ConsoleEnv>, page: ConsolePage): PageContext {
  const s = c.get("services");
  const user = c.get("consoleUser")!;
  const form = c.get("form") ?? {};
  const nav = navFor(c);
  const ctx: PageContext = {
    c,
    s,
    user,
    now: s.clock.now(),
    csrf: user.csrf,
    nav,
    form,
    query: (name, max = 200) => (c.req.query(name) ?? "").slice(0, max),
    field: (name) => field(form, name),
    render: (body, o) => renderPage(c, { title: o?.title ?? page.title, body, nav, status: o?.status }),
    redirect: (to: string, flash?: Flash) => {
      if (flash) setFlash(c, flash);
      return c.redirect(isConsolePath(new URL(to, "http://x").pathname) ? to : CONSOLE_PREFIX, 303);
    },
    confirm: (o) => {
      if (field(form, CONFIRM_FIELD) === "yes") return undefined;
      const fields = Object.fromEntries(Object.entries(form).filter(([k, v]) => typeof v === "string" && k !== CSRF_FIELD && k !== CONFIRM_FIELD)) as Record<string, string>;
      return ctx.render(<ConfirmStep action={c.req.path} csrf={user.csrf} question={o.question} confirmLabel={o.confirmLabel} cancelHref={o.cancelHref} fields={fields} />);
    },
  };
  return ctx;
}

/**
 * The console: server-rendered pages under /console (not API operations, so not in
 * /openapi.json). Returns what the app's not-found and error handlers need to answer
 * console paths with pages instead of problem JSON.
 */
export function registerConsole(app: App) {
  const ui = new Hono<ConsoleEnv>();
  ui.use(`${CONSOLE_PREFIX}/*`, serverTiming(), securityHeaders());
  ui.get(`${CONSOLE_PREFIX}/static/:version/:file`, (c) => serveAsset(c) ?? c.notFound());
  ui.use(`${CONSOLE_PREFIX}/*`, consoleSession(), rateLimit());
  registerSignIn(ui);
  for (const page of PAGES) {
    ui.get(page.path, gate(page), (c) => page.get(pageContext(c, page)));
    for (const [name, action] of Object.entries(page.actions ?? {})) {
      ui.post(`${page.path}/${name}`, gate(page), formPosts(page.uploads?.[name]), (c) => action(pageContext(c, page)));
    }
  }
  app.route("/", ui);
  app.get("/admin", (c) => c.redirect(CONSOLE_PREFIX, 302));
  return {
    owns: (c: Context) => isConsolePath(c.req.path),
    notFound: (c: Context<ConsoleEnv>) => errorPage(c, new ApiError("not_found", { detail: `There is no console page at ${c.req.path}.` }), navFor(c)),
    onError: (err: Error, c: Context<ConsoleEnv>) => errorPage(c, err, navFor(c)),
  };
}
