import { principalOf } from "../../middleware/auth.ts";
import { problemOf } from "../../middleware/problems.ts";
import { emailsOf } from "../../identity/users.ts";
import { ANSWERERS } from "../../requests/answers.ts";
import { SUBMITTERS, seesAllRequests } from "../../requests/requests.ts";
import { searchRequests, type SearchField, type SearchHit } from "../../requests/search.ts";
import { MAX_QUERY_CHARS, MAX_QUERY_WORDS, type Segment } from "../../requests/search-query.ts";
import { bounded } from "../../lib/text.ts";
import { definePage, type PageContext } from "../page.ts";
import { SEARCH_PATH } from "../layout.tsx";
import { ErrorSummary, Input, type FieldErrors } from "../components/form.tsx";
import { Pager } from "../components/table.tsx";
import { Time } from "../components/time.tsx";
import { StatusTag } from "./requests/parts.tsx";

const PAGE_SIZE = 20;
const LABELS = { q: "Words to find" };
const FIELD_LABELS: Record<SearchField, string> = { topic: "Topic", body: "Request", answer: "Answer or reason" };

/** Where a result opens: the operators' queue page on the response network, the requester's page on the request network. */
function hrefOf(ctx: PageContext, id: string): string | undefined {
  if (ctx.s.config.role === "request") return `/console/requests/${encodeURIComponent(id)}`;
  return (ANSWERERS as readonly string[]).includes(ctx.user.role) ? `/console/queue/${encodeURIComponent(id)}` : undefined;
}

/** A snippet as escaped text (hono/jsx escapes every string), the words that matched in <mark>. */
function Snippet(p: { segments: Segment[] }) {
  return <>{p.segments.map((s) => (s.hit ? <mark>{s.text}</mark> : s.text))}</>;
}

function Result(p: { ctx: PageContext; hit: SearchHit; requester?: string }) {
  const r = p.hit.request;
  const href = hrefOf(p.ctx, r.id);
  const topic = bounded(r.topic, 200);
  return (
    <li class="result">
      <h3>{href ? <a href={href}>{topic}</a> : topic}</h3>
      <p class="meta">
        <StatusTag status={r.status} /> · priority {r.priority} · submitted <Time at={r.createdAt} now={p.ctx.now} />
        {p.requester ? ` · by ${p.requester}` : ""} · <code>{r.id}</code>
      </p>
      <dl class="snippets">
        {p.hit.snippets.map((s) => (
          <>
            <dt>{FIELD_LABELS[s.field]}</dt>
            <dd>
              <Snippet segments={s.segments} />
            </dd>
          </>
        ))}
      </dl>
    </li>
  );
}

/**
 * The search service's own refusals as an error on the one field: the query's problem in its
 * words, or a page link (cursor) this search did not hand out. Anything else stays an error page.
 */
function fieldErrorOf(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, options } = problemOf(e);
  const parameter = options.errors?.[0]?.parameter;
  if (code === "validation_failed" && parameter === "cursor") return "This page link is not one of this search's: search again from the first page";
  if (code !== "search_query_invalid") return undefined;
  const detail = options.errors?.[0]?.detail ?? options.detail ?? "";
  return detail.charAt(0).toUpperCase() + detail.slice(1);
}

/**
 * Full-text search (docs/search.md) through searchRequests, the service of GET /v1/search, which
 * applies the access rule: operators and admins find every request, anyone else their own.
 */
export const searchPage = definePage({
  path: SEARCH_PATH,
  title: "Search",
  nav: "Search",
  roles: SUBMITTERS,
  async get(ctx) {
    // One character past the limit, so the service refuses a longer query instead of a cut one being searched.
    const q = ctx.query("q", MAX_QUERY_CHARS + 1);
    const cursor = ctx.query("cursor", 600);
    let errors: FieldErrors = {};
    let results = null;
    if (q) {
      try {
        const page = await searchRequests(ctx.s, principalOf(ctx.c), q, { limit: PAGE_SIZE, cursor: cursor || undefined });
        const all = seesAllRequests(principalOf(ctx.c));
        const emails = all ? await emailsOf(ctx.s, [...new Set(page.items.map((h) => h.request.userId))]) : new Map<string, string>();
        results = (
          <section aria-labelledby="h-results">
            <h2 id="h-results">{cursor ? "More results" : "Results"}</h2>
            {page.items.length ? (
              <>
                <p class="hint">{`Newest first, ${PAGE_SIZE} a page${all ? ", over every request" : ", over your own requests"}.`}</p>
                <ol class="results">
                  {page.items.map((hit) => (
                    <Result ctx={ctx} hit={hit} requester={all ? (emails.get(hit.request.userId) ?? hit.request.userId) : undefined} />
                  ))}
                </ol>
              </>
            ) : (
              <p class="empty">{cursor ? "No more requests match." : "No request matches these words."}</p>
            )}
            <Pager path={SEARCH_PATH} params={{ q }} cursor={cursor || undefined} next={page.next_cursor} />
          </section>
        );
      } catch (e) {
        const message = fieldErrorOf(e);
        if (!message) throw e;
        errors = { q: message };
      }
    }
    return ctx.render(
      <>
        <ErrorSummary errors={errors} labels={LABELS} />
        <form method="get" action={SEARCH_PATH} class="filters" aria-label="Search requests">
          <Input
            name="q"
            label={LABELS.q}
            type="search"
            hint={`Topics, request bodies and answers. All words must match; "quoted words" as a phrase; the last word also as a prefix. At most ${MAX_QUERY_WORDS} words.`}
            value={q}
            error={errors.q}
            maxlength={MAX_QUERY_CHARS}
          />
          <div class="actions">
            <button type="submit">Search</button>
          </div>
        </form>
        {results}
      </>,
      { status: Object.keys(errors).length ? 400 : 200 },
    );
  },
});
