import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../errors.ts";
import { principalFor } from "../identity/principals.ts";
import { accessTokenForSession, revokeFamily, type TokenPair } from "../identity/sessions.ts";
import { getUser } from "../identity/users.ts";
import { actorOf, audit } from "../audit/audit.ts";
import { sha256Hex } from "../lib/crypto.ts";
import type { Principal } from "../identity/roles.ts";
import type { ConsoleEnv } from "./env.ts";
import { clearCookie, readCookie, writeCookie } from "./cookies.ts";

/**
 * The session cookie holds the session's access token and its refresh token ("<jwt>~rt_…").
 * Each page load verifies the access token like any API call (src/identity/principals.ts: a
 * disabled account, a changed role or an ended session ends it); an expired one is re-issued
 * from the refresh token while that is unrevoked (sign-out revokes it).
 */
const SESSION = "airlock_session";
const SEP = "~";
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

export function startConsoleSession(c: Context<ConsoleEnv>, tokens: TokenPair) {
  writeCookie(c, SESSION, `${tokens.access_token}${SEP}${tokens.refresh_token}`);
}

type Resolved = { ok: true; principal: Extract<Principal, { type: "user" }>; refresh: string } | { ok: false; reason: string };

async function verified(c: Context<ConsoleEnv>, access: string, refresh: string, reissued: boolean): Promise<Resolved> {
  const s = c.get("services");
  try {
    const p = await principalFor(s, access);
    if (p.type !== "user") return { ok: false, reason: "this is not a console session" };
    if (reissued) writeCookie(c, SESSION, `${access}${SEP}${refresh}`);
    return { ok: true, principal: p, refresh };
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.code === "token_expired" && !reissued) {
      const fresh = await accessTokenForSession(s, refresh);
      return fresh ? verified(c, fresh, refresh, true) : { ok: false, reason: "this session has ended; sign in again" };
    }
    return { ok: false, reason: e.options.detail ?? "this session has ended" };
  }
}

async function resolve(c: Context<ConsoleEnv>, raw: string): Promise<Resolved> {
  const [access = "", refresh = "", ...rest] = raw.split(SEP);
  if (rest.length || raw.length > 4096 || !JWT_SHAPE.test(access)) return { ok: false, reason: "the session cookie is not valid" };
  return verified(c, access, refresh, false);
}

/** Reads the session cookie: sets `consoleUser` and `principal` when it is live; else clears it and says why in `sessionEnded`. */
export function consoleSession(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const raw = readCookie(c, SESSION);
    if (raw) {
      const r = await resolve(c, raw);
      const user = r.ok ? await getUser(c.get("services"), r.principal.userId) : undefined;
      if (r.ok && user) {
        c.set("principal", r.principal);
        c.set("consoleUser", {
          id: user.id,
          email: user.email,
          name: user.name,
          role: r.principal.role,
          sessionId: r.principal.sessionId,
          csrf: await sha256Hex(`airlock-console-csrf:${r.refresh}`),
        });
        c.get("logFields").user_id = user.id;
      } else {
        clearCookie(c, SESSION);
        c.set("sessionEnded", r.ok ? "the account is unknown" : r.reason);
      }
    }
    await next();
  };
}

/** Sign-out: the session is revoked server-side (the same as `POST /v1/auth/logout`), then the cookie is cleared. */
export async function endConsoleSession(c: Context<ConsoleEnv>) {
  const user = c.get("consoleUser");
  if (user) {
    const s = c.get("services");
    await revokeFamily(s, user.sessionId);
    await audit(s, { ...actorOf(c), action: "auth.logout", targetType: "user", targetId: user.id, details: { all_sessions: false, via: "console" } });
  }
  clearCookie(c, SESSION);
}
