import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Services } from "../services.ts";
import type { Role } from "../identity/roles.ts";
import type { Network } from "../http/router.ts";
import type { ConsoleEnv, ConsoleUser, FormFields } from "./env.ts";
import type { Flash } from "./flash.ts";
import type { NavItem } from "./layout.tsx";

/** What a page handler gets: the request, the signed-in user, and the ways to answer. */
export interface PageContext {
  c: Context<ConsoleEnv>;
  s: Services;
  user: ConsoleUser;
  /** The services' clock, read once per request. */
  now: Date;
  /** This session's CSRF token, for `<PostForm csrf={ctx.csrf}>` / `<CsrfField token={ctx.csrf}>`. */
  csrf: string;
  /** The pages this user may open here (what the nav shows). */
  nav: NavItem[];
  /** A query parameter ("" when absent), cut to `max` characters (default 200). */
  query(name: string, max?: number): string;
  /** The posted form of an action, CSRF already checked ({} on GET). */
  form: FormFields;
  /** A text field of the posted form ("" when absent). */
  field(name: string): string;
  /** The page in the layout (title, nav, pending flash message). */
  render(body: Child, o?: { status?: ContentfulStatusCode; title?: string }): Promise<Response>;
  /** POST-redirect-GET: 303 to `to` (a /console path), with a message shown once there. */
  redirect(to: string, flash?: Flash): Response;
  /**
   * The confirmation step of a destructive action without JavaScript: unless the form says
   * `confirmed=yes`, the page asking the question (re-posting the same fields); else undefined.
   */
  confirm(o: { question: string; confirmLabel: string; cancelHref: string }): Promise<Response> | undefined;
}

export interface ConsolePage {
  /** The full path, e.g. "/console/audit" (Hono pattern: `:id` allowed). */
  path: string;
  /** The page's heading and `<title>`. */
  title: string;
  /** Its label in the nav; pages without one (details, forms) are reached by links. */
  nav?: string;
  /** Who may open it (src/identity/roles.ts); others get a 403 page naming the role needed. */
  roles: readonly Role[];
  /** The networks that serve it (default both); elsewhere it is a `wrong_network` page. */
  networks?: readonly Network[];
  get(ctx: PageContext): Promise<Response>;
  /** POST `${path}/${name}`: the form guard (Origin, body limit, CSRF token) has run, and the same role check as `get`. */
  actions?: Record<string, (ctx: PageContext) => Promise<Response>>;
  /**
   * Actions that take a file (multipart): the body limit of each, in bytes, instead of the
   * forms' (which stays small for every other action), e.g. the API's own limit for that file.
   */
  uploads?: Record<string, (s: Services) => number>;
}

/** Declares a page (typed); list it in src/console/pages/index.ts. */
export const definePage = (page: ConsolePage): ConsolePage => page;
