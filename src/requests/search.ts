// Full-text search over requests' topics and bodies and their answers (or rejection reasons), for
// the API (GET /v1/search) and the console alike. The index (search_index, FTS5) is kept in step
// by triggers on requests and responses (migrations/0008_search.sql), so every write path, batch
// imports included, updates it in the same transaction. docs/search.md explains the choices.
import { z } from "zod";
import { sql } from "drizzle-orm";
import type { Services } from "../services.ts";
import type { Principal } from "../identity/roles.ts";
import { decodeCursor, encodeCursor, type Page, type PageRequest } from "../lib/pagination.ts";
import type { RequestRow } from "./records.ts";
import { requestSummary, visibleOwner } from "./requests.ts";
import { ftsQuery, HIT_OPEN, segmentsOf, type Segment } from "./search-query.ts";

/** The indexed fields, in the index's column order. */
export const SEARCH_FIELDS = ["topic", "body", "answer"] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

/** Words of context a snippet keeps around its hits (FTS5 allows up to 64). */
const SNIPPET_WORDS = 16;
/** Most results on one page: each carries up to three snippets. */
export const MAX_SEARCH_LIMIT = 50;

export interface SearchHit {
  request: RequestRow;
  /** The fields that matched, each with a snippet whose hits are marked. */
  snippets: Array<{ field: SearchField; segments: Segment[] }>;
}

type Summary = Pick<RequestRow, "id" | "userId" | "topic" | "priority" | "status" | "createdAt" | "updatedAt" | "cancelledAt" | "answeredAt">;
type Row = Summary & { doc: number; s0: string | null; s1: string | null; s2: string | null };

const CURSOR = z.object({ d: z.number().int().positive() });
const snippet = (column: number) => sql.raw(`snippet(search_index, ${column}, char(2), char(3), '…', ${SNIPPET_WORDS})`);
const COLUMNS = sql`q.id AS id, q.user_id AS userId, q.topic AS topic, q.priority AS priority, q.status AS status,
  q.created_at AS createdAt, q.updated_at AS updatedAt, q.cancelled_at AS cancelledAt, q.answered_at AS answeredAt,
  d.id AS doc, ${snippet(0)} AS s0, ${snippet(1)} AS s1, ${snippet(2)} AS s2`;

/**
 * Measured (docs/search.md): testing one entry against the query costs about 50 times what
 * stepping over one match does, so walking 1,000 entries (~20 ms) is the most a user's search does.
 */
const OWN_ENTRIES_WALK_MAX = 1000;

export interface SearchOptions {
  /**
   * A viewer limited to their own requests who has at most this many is searched by walking
   * their entries and testing each against the query; one with more, by walking the query's
   * matches and keeping theirs. Either finds the same page; the cheaper one depends on the share.
   */
  ownEntriesWalkMax?: number;
}

/**
 * The requests matching `text` that `viewer` may see (operators and admins: all; anyone else:
 * their own, by the same rule as the request list), newest arrival first, with snippets. Throws
 * search_query_invalid for text that is empty, too long or without words, and
 * InvalidCursorError for a cursor this search did not hand out.
 */
export async function searchRequests(s: Services, viewer: Principal, text: string, req: PageRequest, o: SearchOptions = {}): Promise<Page<SearchHit>> {
  const match = ftsQuery(text);
  const limit = Math.min(Math.max(1, req.limit), MAX_SEARCH_LIMIT);
  const after = decodeCursor(req.cursor, CURSOR)?.d;
  const owner = visibleOwner(viewer);
  const before = after === undefined ? sql`` : sql`AND d.id < ${after}`;
  // Ordering and paging by the entry's id (the FTS rowid, newest arrival first) let either walk
  // stop after one page, however common the words are.
  let rows: Row[];
  if (owner !== null && (await ownEntries(s, owner, o.ownEntriesWalkMax ?? OWN_ENTRIES_WALK_MAX)) === "few") {
    // CROSS JOIN keeps this order: the owner's entries (index search_docs_user), each tested by rowid.
    rows = await s.db.orm.all<Row>(sql`
      SELECT ${COLUMNS}
      FROM search_docs AS d CROSS JOIN search_index CROSS JOIN requests AS q
      WHERE d.user_id = ${owner} ${before} AND search_index.rowid = d.id AND search_index MATCH ${match} AND q.id = d.request_id
      ORDER BY d.id DESC
      LIMIT ${limit + 1}`);
  } else {
    // CROSS JOIN keeps this order too: the query's matches backwards, then their entries and requests.
    rows = await s.db.orm.all<Row>(sql`
      SELECT ${COLUMNS}
      FROM search_index CROSS JOIN search_docs AS d CROSS JOIN requests AS q
      WHERE search_index MATCH ${match} ${after === undefined ? sql`` : sql`AND search_index.rowid < ${after}`}
        AND d.id = search_index.rowid ${owner === null ? sql`` : sql`AND d.user_id = ${owner}`} AND q.id = d.request_id
      ORDER BY search_index.rowid DESC
      LIMIT ${limit + 1}`);
  }
  const items = rows.slice(0, limit).map((r) => ({
    request: r as unknown as RequestRow,
    snippets: SEARCH_FIELDS.flatMap((field, i) => {
      const marked = [r.s0, r.s1, r.s2][i];
      return marked?.includes(HIT_OPEN) ? [{ field, segments: segmentsOf(marked) }] : [];
    }),
  }));
  const last = rows[limit - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor({ d: Number(last.doc) }) : null };
}

async function ownEntries(s: Services, owner: string, max: number): Promise<"few" | "many"> {
  const row = await s.db.orm.get<{ n: number }>(sql`SELECT count(*) AS n FROM (SELECT 1 FROM search_docs WHERE user_id = ${owner} LIMIT ${max + 1})`);
  return Number(row?.n ?? 0) <= max ? "few" : "many";
}

/** The API's shape of one hit: the request's summary and its snippets. */
export const publicSearchHit = (h: SearchHit) => ({ ...requestSummary(h.request), snippets: h.snippets });
