import type { Context } from "hono";
import { CONSOLE_CSS } from "./styles.ts";

/** The console's static files; add a script here (never inline) when a page needs one. */
const FILES: Record<string, { type: string; body: string }> = {
  "console.css": { type: "text/css; charset=utf-8", body: CONSOLE_CSS },
};

/** FNV-1a over every file: the version in each asset URL, so a changed file is a new URL and old ones cache forever. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

const VERSION = fnv1a(
  Object.values(FILES)
    .map((f) => f.body)
    .join("\0"),
);

export const assetUrl = (file: keyof typeof FILES & string) => `/console/static/${VERSION}/${file}`;

/** `GET /console/static/:version/:file`: immutable for a year at the current version; an old version gets today's file, uncached. */
export function serveAsset(c: Context) {
  const file = FILES[c.req.param("file") ?? ""];
  if (!file) return undefined;
  const current = c.req.param("version") === VERSION;
  return c.body(file.body, 200, { "Content-Type": file.type, "Cache-Control": current ? "public, max-age=31536000, immutable" : "no-cache" });
}
