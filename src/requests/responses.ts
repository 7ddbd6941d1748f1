import { eq } from "drizzle-orm";
import type { requests } from "../../schema/index.ts";
import { responses } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { ResponseRow } from "./records.ts";

/** JSON media types: `application/json` and any `+json` suffix. */
export const isJsonType = (contentType: string | null) => !contentType || /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType);

export const MAX_MEDIA_TYPE_CHARS = 200;
const MAX_MEDIA_TYPE_PARAMS = 8;
const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,127}$/;
const QUOTED = /^"[\t\x20-\x21\x23-\x5b\x5d-\x7e]*"$/; // no backslash escapes, no control characters

/**
 * A Content-Type header as a media type (RFC 9110 §8.3.1): `type/subtype` tokens, then at
 * most 8 `; name=value` parameters (token or quoted string), at most 200 characters in all.
 * Answers it normalised (type, subtype and parameter names in lower case, `; ` between
 * parameters), or null when it is none of that. Linear: split on `;` and `=`, never a
 * backtracking regular expression over the whole header.
 */
export function parseMediaType(header: string): string | null {
  if (header.length > MAX_MEDIA_TYPE_CHARS) return null;
  const [essence, ...params] = header.split(";");
  if (params.length > MAX_MEDIA_TYPE_PARAMS) return null;
  const slash = essence.indexOf("/");
  const type = essence.slice(0, slash).trim();
  const subtype = essence.slice(slash + 1).trim();
  if (slash < 0 || !TOKEN.test(type) || !TOKEN.test(subtype)) return null;
  const out = [`${type}/${subtype}`.toLowerCase()];
  for (const p of params) {
    const eq = p.indexOf("=");
    const name = p.slice(0, eq).trim();
    const value = p.slice(eq + 1).trim();
    if (eq < 0 || !TOKEN.test(name) || !(TOKEN.test(value) || QUOTED.test(value))) return null;
    out.push(`${name.toLowerCase()}=${value}`);
  }
  const normalised = out.join("; ");
  return normalised.length <= MAX_MEDIA_TYPE_CHARS ? normalised : null;
}

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

export interface ResponseStateRow {
  userId: string;
  status: (typeof requests.$inferSelect)["status"];
  createdAt: string;
  kind: ResponseRow["kind"] | null;
  reason: string | null;
  answeredAt: string | null;
  version: number | null;
  deliveredSequence: number | null;
}

// Prepared once (every cached read runs it): plain SQL, no query building per request.
const STATE_SQL =
  "select q.user_id as userId, q.status as status, q.created_at as createdAt, p.kind as kind, p.reason as reason, " +
  "p.answered_at as answeredAt, p.version as version, p.delivered_sequence as deliveredSequence " +
  "from requests q left join responses p on p.request_id = q.id where q.id = ?";

/** The small row that decides access, state and the ETag of a request's response (the possibly large body is read separately). */
export function responseStateOf(s: Services, requestId: string): Promise<ResponseStateRow | undefined> {
  return s.db.prepareRead<ResponseStateRow>(STATE_SQL).get([requestId]);
}

/** The whole response of a request, if it has one. */
export function getResponse(s: Services, requestId: string): Promise<ResponseRow | undefined> {
  return s.db.orm.select().from(responses).where(eq(responses.requestId, requestId)).get();
}
