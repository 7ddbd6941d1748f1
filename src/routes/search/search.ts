import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access, principalOf } from "../../middleware/auth.ts";
import { SUBMITTERS } from "../../requests/requests.ts";
import { summaryShape } from "../../requests/schemas.ts";
import { MAX_SEARCH_LIMIT, SEARCH_FIELDS, publicSearchHit, searchRequests } from "../../requests/search.ts";
import { MAX_QUERY_CHARS, MAX_QUERY_WORDS, MIN_PREFIX_CHARS } from "../../requests/search-query.ts";

// The text is checked by the search service (search_query_invalid, missing or empty included), not
// here, so the console and the API refuse the same queries with the same problem; the bound here
// only caps what is read at all.
const SearchQuery = z.object({
  q: z
    .string()
    .max(4096)
    .optional()
    .openapi({
      description: `Words to find (at most ${MAX_QUERY_CHARS} characters and ${MAX_QUERY_WORDS} words; letters and digits count, everything else separates words). All must match; "quoted words" match as a phrase; the last word also matches as a prefix (from ${MIN_PREFIX_CHARS} characters, unless quoted or followed by a space). No operators: OR, NOT, NEAR, *, - and the like are plain text.`,
      example: "high tide brest",
    }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SEARCH_LIMIT)
    .default(20)
    .openapi({ description: `Page size (1–${MAX_SEARCH_LIMIT})` }),
  cursor: z.string().max(512).optional().openapi({ description: "next_cursor from the previous page" }),
});

const SegmentSchema = z.object({ text: z.string(), hit: z.boolean() }).openapi("SearchSegment", {
  description: "Plain text (never markup: render it escaped); `hit` marks the words that matched",
});

const SearchHitSchema = z
  .object({
    ...summaryShape,
    snippets: z
      .array(z.object({ field: z.enum(SEARCH_FIELDS), segments: z.array(SegmentSchema) }))
      .openapi({ description: "One snippet per field that matched (topic, request body, answer or rejection reason), as plain-text segments" }),
  })
  .openapi("SearchHit");

const route = createRoute({
  method: "get",
  path: "/v1/search",
  operationId: "search",
  tags: ["Requests"],
  summary: "Full-text search over requests and their answers, newest first (users: their own requests; operators and admins: all)",
  ...access({ roles: SUBMITTERS, scope: "requests:read" }),
  request: { query: SearchQuery },
  responses: {
    200: {
      description: "Matching requests",
      content: { "application/json": { schema: z.object({ items: z.array(SearchHitSchema), next_cursor: z.string().nullable() }).openapi("SearchResults") } },
    },
    ...problemResponses(400, 401, 403),
  },
});

export function registerSearch(app: App) {
  app.openapi(route, async (c) => {
    const q = c.req.valid("query");
    const result = await searchRequests(c.get("services"), principalOf(c), q.q ?? "", q);
    c.header("Cache-Control", "private, no-store");
    return c.json({ items: result.items.map(publicSearchHit), next_cursor: result.next_cursor }, 200);
  });
}
