import type { Context } from "hono";
import { ApiError } from "../errors.ts";
import { randomToken } from "../lib/crypto.ts";
import { timingSafeEqual } from "../lib/timing-safe.ts";
import type { ConsoleEnv } from "./env.ts";
import { readCookie, writeCookie } from "./cookies.ts";

/** Before sign-in there is no session: the sign-in form's token is a random one also kept in a cookie (double submit). */
const PRE_SESSION = "airlock_csrf";
const TOKEN_SHAPE = /^[\w-]{43}$/;
export const CSRF_FIELD = "_csrf";

/** The token this request's forms carry: the session's, or the pre-session one (set now if missing). */
export function csrfToken(c: Context<ConsoleEnv>): string {
  const user = c.get("consoleUser");
  if (user) return user.csrf;
  let token = readCookie(c, PRE_SESSION);
  if (!token || !TOKEN_SHAPE.test(token)) {
    token = randomToken(32);
    writeCookie(c, PRE_SESSION, token);
  }
  return token;
}

const refuse = (detail: string) => new ApiError("csrf_failed", { detail });
const enc = new TextEncoder();

/** Origin first (a browser says where a form came from), then the token: both must be this site's. */
export function checkOrigin(c: Context<ConsoleEnv>) {
  const origin = c.req.header("origin");
  const site = c.req.header("sec-fetch-site");
  let host: string | undefined;
  try {
    host = origin === undefined ? undefined : new URL(origin).host;
  } catch {
    host = "invalid";
  }
  if (origin !== undefined && host !== new URL(c.req.url).host) throw refuse("The form was sent from another site.");
  if (site !== undefined && site !== "same-origin" && site !== "none") throw refuse("The form was sent from another site.");
}

export function checkToken(c: Context<ConsoleEnv>, sent: unknown) {
  const expected = c.get("consoleUser")?.csrf ?? readCookie(c, PRE_SESSION);
  if (!expected || typeof sent !== "string" || !timingSafeEqual(enc.encode(sent), enc.encode(expected))) {
    throw refuse("The form has no valid security token (it may be from before you signed in again). Go back, reload the page and send it again.");
  }
}
