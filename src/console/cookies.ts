import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Plain http on this machine (a development or test network). Browsers refuse `Secure` cookies
 * over http except on localhost, and not all of them for 127.0.0.1, so there the cookies go without
 * `Secure` and therefore without the `__Host-` prefix (which requires it). Everywhere else they are
 * `__Host-…; Secure`: over plain http from another machine the browser drops them and sign-in fails,
 * on purpose.
 */
export function isLocalHttp(c: Context): boolean {
  const url = new URL(c.req.url);
  return url.protocol === "http:" && LOOPBACK.has(url.hostname);
}

const nameOf = (c: Context, base: string) => (isLocalHttp(c) ? base : `__Host-${base}`);

export const readCookie = (c: Context, base: string): string | undefined => getCookie(c, nameOf(c, base));

/** HttpOnly, SameSite=Strict, Path=/, Secure outside local http; a browser-session cookie unless `maxAge`. */
export function writeCookie(c: Context, base: string, value: string, maxAge?: number) {
  setCookie(c, nameOf(c, base), value, { path: "/", httpOnly: true, sameSite: "Strict", secure: !isLocalHttp(c), ...(maxAge === undefined ? {} : { maxAge }) });
}

export const clearCookie = (c: Context, base: string) => writeCookie(c, base, "", 0);
