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

/**
 * The requests matching `text` that `viewer` may see (operators and admins: all; anyone else:
 * their own, by the same rule as the request list), newest arrival first, with snippets. Throws
 * search_query_invalid for text that is empty, too long or without words, and
 * InvalidCursorError for a cursor this search did not hand out.
 */
export async function searchRequests(s: Services, viewer: Principal, text: string, req: PageRequest): Promise<Page<SearchHit>> {
  const match = ftsQuery(text);
  const limit = Math.min(Math.max(1, req.limit), MAX_SEARCH_LIMIT);
  const after = decodeCursor(req.cursor, CURSOR)?.d;
  const owner = visibleOwner(viewer);
  // search_docs gives the FTS rowid: ordering by it (newest arrival first) and paging by it lets
  // FTS5 walk its doclists backwards and stop after a page, however common the words are.
  const rows = await s.db.orm.all<Row>(sql`
    SELECT q.id AS id, q.user_id AS userId, q.topic AS topic, q.priority AS priority, q.status AS status,
      q.created_at AS createdAt, q.updated_at AS updatedAt, q.cancelled_at AS cancelledAt, q.answered_at AS answeredAt,
      search_index.rowid AS doc, ${snippet(0)} AS s0, ${snippet(1)} AS s1, ${snippet(2)} AS s2
    FROM search_index
    JOIN search_docs AS d ON d.id = search_index.rowid
    JOIN requests AS q ON q.id = d.request_id
    WHERE search_index MATCH ${match}
      ${owner === null ? sql`` : sql`AND q.user_id = ${owner}`}
      ${after === undefined ? sql`` : sql`AND search_index.rowid < ${after}`}
    ORDER BY search_index.rowid DESC
    LIMIT ${limit + 1}`);
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

/** The API's shape of one hit: the request's summary and its snippets. */
export const publicSearchHit = (h: SearchHit) => ({ ...requestSummary(h.request), snippets: h.snippets });
