import type { Context } from "hono";
import { bounded } from "../lib/text.ts";
import { clearCookie, readCookie, writeCookie } from "./cookies.ts";

/** A message shown once on the page a POST redirects to (POST-redirect-GET). */
export interface Flash {
  kind: "ok" | "error";
  text: string;
}

const FLASH = "airlock_flash";
const MAX_TEXT = 500;

export function setFlash(c: Context, flash: Flash) {
  writeCookie(c, FLASH, JSON.stringify({ kind: flash.kind, text: bounded(flash.text, MAX_TEXT) }), 120);
}

/** The pending message, if any; reading it clears it. */
export function takeFlash(c: Context): Flash | undefined {
  const raw = readCookie(c, FLASH);
  if (raw === undefined) return undefined;
  clearCookie(c, FLASH);
  try {
    const v = JSON.parse(raw) as Partial<Flash>;
    if ((v.kind === "ok" || v.kind === "error") && typeof v.text === "string") return { kind: v.kind, text: bounded(v.text, MAX_TEXT) };
  } catch {
    // A cookie that is not ours is ignored.
  }
  return undefined;
}
