import type { ResponseRow } from "./records.ts";

/** JSON media types: `application/json` and any `+json` suffix. */
export const isJsonType = (contentType: string | null) => !contentType || /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType);

/** A media type with optional parameters, e.g. `text/plain; charset=utf-8`. */
export const MEDIA_TYPE_RE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[a-z0-9!#$&^_.+-]+))*$/i;

/**
 * The response's strong ETag: its version (bumped by a correction on the
 * master) and the import sequence that delivered that version here. Either
 * changing gives a new tag, so a cached or conditional copy is never stale.
 */
export const etagOf = (r: Pick<ResponseRow, "version" | "deliveredSequence">) => `"v${r.version}.s${r.deliveredSequence ?? 0}"`;

/** RFC 9110 If-None-Match: `*` or a list of (possibly weak) tags, compared weakly. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => strip(t) === strip(etag));
}

/** What a requester reads: the answer with its media type. */
export function publicResponse(r: ResponseRow) {
  return {
    request_id: r.requestId,
    kind: r.kind,
    content_type: r.contentType ?? "application/json",
    body: r.body === null ? null : isJsonType(r.contentType) ? (JSON.parse(r.body) as unknown) : r.body,
    answered_at: r.answeredAt,
    version: r.version,
    delivered_sequence: r.deliveredSequence,
  };
}
export type PublicResponse = ReturnType<typeof publicResponse>;
