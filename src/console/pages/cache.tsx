import { z } from "zod";
import { actorOf } from "../../audit/audit.ts";
import { ApiError } from "../../errors.ts";
import { findUserByEmail, getUser } from "../../identity/users.ts";
import { clearCacheAll, clearCacheUser, invalidateCache } from "../../requests/cache-admin.ts";
import { cacheHealth, cacheStats } from "../../requests/response-cache.ts";
import { InvalidateSchema } from "../../routes/admin/cache/schemas.ts";
import { definePage, type PageContext } from "../page.ts";
import { ConfirmForm } from "../components/confirm.tsx";
import { ErrorSummary, Input, PostForm, type FieldErrors } from "../components/form.tsx";
import { Time } from "../components/time.tsx";

const PATH = "/console/cache";
const LABELS = { user: "User", pattern: "Key pattern" };
// The same bounds as the API: a user id of at most 64 characters (or an e-mail address), the API's pattern rule.
const UserField = z.string().trim().min(1, "Enter a user id or e-mail address").max(320, "At most 320 characters");
const Pattern = InvalidateSchema.shape.pattern;

const count = (v: number | null) => (v === null ? "–" : String(v));

async function view(ctx: PageContext, o: { errors?: FieldErrors; values?: Record<string, string> } = {}) {
  const { s, now } = ctx;
  const [stats, health] = await Promise.all([cacheStats(s), cacheHealth(s)]);
  const errors = o.errors ?? {};
  const v = o.values ?? {};
  return ctx.render(
    <>
      <ErrorSummary errors={errors} labels={LABELS} />
      {health.status !== "ok" && <p class="alerts">The cache store does not answer ({health.error}): reads are served from the database.</p>}
      <div class="cards">
        <section class="card" aria-labelledby="stats-title">
          <h2 id="stats-title">Statistics</h2>
          <dl class="facts" id="cache-stats">
            <dt>Hit ratio</dt>
            <dd>{stats.hit_ratio === null ? "no reads yet" : `${Math.round(stats.hit_ratio * 1000) / 10} %`}</dd>
            <dt>Reads</dt>
            <dd>
              {count(stats.reads)}: {count(stats.hits)} hits, {count(stats.misses)} misses, {count(stats.stale)} stale, since <Time at={stats.since} now={now} />
            </dd>
            <dt>Cached responses</dt>
            <dd id="cached-responses">{stats.keys ? `${stats.keys.responses}${stats.keys.truncated ? "+" : ""}` : "–"}</dd>
            <dt>User indexes</dt>
            <dd>{stats.keys ? stats.keys.user_indexes : "–"}</dd>
            <dt>Errors (this process)</dt>
            <dd class={stats.errors ? "warn" : undefined}>
              {stats.errors}
              {stats.last_error && ` — last: ${stats.last_error.op}: ${stats.last_error.message}`}
            </dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="store-title">
          <h2 id="store-title">Store</h2>
          <dl class="facts">
            <dt>Kind</dt>
            <dd>{stats.store}</dd>
            <dt>Health</dt>
            <dd class={health.status === "ok" ? undefined : "late"}>
              {health.status}, {health.latency_ms} ms (limit {health.timeout_ms} ms)
            </dd>
            <dt>Namespace</dt>
            <dd>
              <code>{stats.namespace}</code>
            </dd>
            <dt>Entries live for</dt>
            <dd>{stats.ttl_seconds} s</dd>
          </dl>
        </section>
      </div>
      <h2>Clear</h2>
      <p class="hint">Every clearing asks for a confirmation first and is written to the audit log. Nothing outside this network's namespace is touched.</p>
      <PostForm action={`${PATH}/clear-user`} csrf={ctx.csrf} class="filters">
        <Input name="user" label={LABELS.user} hint="User id or e-mail address" value={v.user} error={errors.user} maxlength={320} required />
        <div class="actions">
          <button type="submit" class="danger">
            Clear this user's entries
          </button>
        </div>
      </PostForm>
      <PostForm action={`${PATH}/invalidate`} csrf={ctx.csrf} class="filters">
        <Input
          name="pattern"
          label={LABELS.pattern}
          hint="Relative to the namespace, e.g. resp:req_01J* (letters, digits, _ - : . * ? [ ])"
          value={v.pattern}
          error={errors.pattern}
          maxlength={200}
          required
        />
        <div class="actions">
          <button type="submit" class="danger">
            Delete matching entries
          </button>
        </div>
      </PostForm>
      <ConfirmForm action={`${PATH}/clear`} csrf={ctx.csrf} label="Clear the whole cache" />
    </>,
    { status: Object.keys(errors).length ? 400 : 200 },
  );
}

/** A store that does not answer is a message on the page, not an error page. */
async function cleared(ctx: PageContext, what: string, run: () => Promise<{ deleted: number; scope: string }>): Promise<Response> {
  try {
    const r = await run();
    return ctx.redirect(PATH, { kind: "ok", text: `${what}: ${r.deleted} key${r.deleted === 1 ? "" : "s"} deleted (${r.scope}).` });
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== "cache_unavailable") throw e;
    return ctx.redirect(PATH, { kind: "error", text: `${what}: ${e.message}` });
  }
}

/** The response cache (admins, as the cache API): statistics and health; clear all, one user or a pattern, each confirmed and audited. */
export const cachePage = definePage({
  path: PATH,
  title: "Cache",
  nav: "Cache",
  roles: ["admin"],
  get: (ctx) => view(ctx),
  actions: {
    async clear(ctx) {
      const ask = ctx.confirm({ question: "Clear every cached response of this network?", confirmLabel: "Yes, clear the whole cache", cancelHref: PATH });
      if (ask) return ask;
      return cleared(ctx, "Cache cleared", () => clearCacheAll(ctx.s, actorOf(ctx.c)));
    },
    async "clear-user"(ctx) {
      const values = { user: ctx.field("user") };
      const parsed = UserField.safeParse(values.user);
      if (!parsed.success) return view(ctx, { errors: { user: parsed.error.issues[0].message }, values });
      const user = parsed.data.includes("@") ? await findUserByEmail(ctx.s, parsed.data) : parsed.data.length <= 64 ? await getUser(ctx.s, parsed.data) : undefined;
      if (!user) return view(ctx, { errors: { user: "No account has this id or e-mail address" }, values });
      const ask = ctx.confirm({ question: `Clear the cached responses of ${parsed.data}?`, confirmLabel: "Yes, clear this user's entries", cancelHref: PATH });
      if (ask) return ask;
      try {
        return await cleared(ctx, `Entries of ${parsed.data} cleared`, () => clearCacheUser(ctx.s, actorOf(ctx.c), user.id));
      } catch (e) {
        if (e instanceof ApiError && e.code === "not_found") return view(ctx, { errors: { user: "No account has this id or e-mail address" }, values });
        throw e;
      }
    },
    async invalidate(ctx) {
      const values = { pattern: ctx.field("pattern") };
      const parsed = Pattern.safeParse(values.pattern);
      if (!parsed.success) return view(ctx, { errors: { pattern: parsed.error.issues[0].message }, values });
      const ask = ctx.confirm({ question: `Delete every cache entry matching ${parsed.data}?`, confirmLabel: "Yes, delete them", cancelHref: PATH });
      if (ask) return ask;
      return cleared(ctx, `Entries matching ${parsed.data} deleted`, () => invalidateCache(ctx.s, actorOf(ctx.c), parsed.data));
    },
  },
});
