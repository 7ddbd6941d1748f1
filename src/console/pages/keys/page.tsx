import { ApiError } from "../../../errors.ts";
import { actorOf } from "../../../audit/audit.ts";
import { principalOf } from "../../../middleware/auth.ts";
import { ANY_ROLE } from "../../../identity/roles.ts";
import { createOwnApiKey, listApiKeys, revokeApiKey, visibleApiKey, type ApiKeyRow } from "../../../identity/api-keys.ts";
import { fingerprintOf, once, parseIdempotencyKey } from "../../../requests/idempotency.ts";
import { definePage, type PageContext } from "../../page.ts";
import { ConfirmForm } from "../../components/confirm.tsx";
import { ErrorSummary, Select, type FieldErrors } from "../../components/form.tsx";
import { Pager, Table, type Column } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";
import { KeyForm, emptyKeyForm, parseKeyForm, readKeyForm, type KeyValues } from "./form.tsx";

const PATH = "/console/keys";
const PAGE_SIZE = 50;
const ALREADY =
  "This form was sent already: the key it created is listed below. Its secret was shown once and cannot be shown again; if you did not copy it, revoke the key and create another.";

function stateOf(k: ApiKeyRow, now: Date) {
  if (k.revokedAt) return <span class="tag tag-refused">revoked</span>;
  if (k.expiresAt && Date.parse(k.expiresAt) <= now.getTime()) return <span class="tag tag-withdrawn">expired</span>;
  return <span class="tag tag-done">active</span>;
}

const columns = (ctx: PageContext): Column<ApiKeyRow>[] => [
  { label: "Name", cell: (k) => k.name },
  { label: "Starts with", cell: (k) => <code>{k.prefix}</code> },
  { label: "Scopes", cell: (k) => (JSON.parse(k.scopes) as string[]).join(", ") || "none (identifies itself only)" },
  { label: "State", cell: (k) => stateOf(k, ctx.now) },
  { label: "Created", cell: (k) => <Time at={k.createdAt} now={ctx.now} /> },
  { label: "Last used", cell: (k) => (k.lastUsedAt ? <Time at={k.lastUsedAt} now={ctx.now} /> : "never") },
  { label: "Expires", cell: (k) => (k.expiresAt ? <Time at={k.expiresAt} now={ctx.now} /> : "never") },
  { label: "Revoked", cell: (k) => <Time at={k.revokedAt} now={ctx.now} /> },
  {
    label: "Action",
    cell: (k) => (k.revokedAt ? "–" : <ConfirmForm action={`${PATH}/revoke`} csrf={ctx.csrf} label={`Revoke ${k.name}`} fields={{ id: k.id }} />),
  },
];

/** The list (active keys, or all), the create form, and right after a creation the new secret, once. */
async function renderKeys(ctx: PageContext, o: { values: KeyValues; errors: FieldErrors; created?: { row: ApiKeyRow; secret: string }; status?: 200 | 201 | 400 | 409 }) {
  const show = ctx.query("show", 10) || "all";
  const cursor = ctx.query("cursor", 600);
  const filterErrors: FieldErrors = show === "all" || show === "active" ? {} : { show: "Pick all or active" };
  const page = filterErrors.show
    ? undefined
    : await listApiKeys(ctx.s, principalOf(ctx.c), { userId: ctx.user.id, includeRevoked: show === "all" }, { limit: PAGE_SIZE, cursor: cursor || undefined });
  return ctx.render(
    <>
      {o.created && (
        <section class="secret" aria-labelledby="secret-title">
          <h2 id="secret-title">{`Your new key "${o.created.row.name}"`}</h2>
          <p>
            <strong>Copy it now: it is shown only this once.</strong> Airlock keeps only its hash. Send it in the <code>X-API-Key</code> header.
          </p>
          <label for="new-key">The new API key</label>
          <input id="new-key" class="secret-value" readonly value={o.created.secret} autocomplete="off" spellcheck={false} />
        </section>
      )}
      <ErrorSummary errors={filterErrors} labels={{ show: "Show" }} />
      <form method="get" action={PATH} class="filters" aria-label="Filter your keys">
        <Select
          name="show"
          label="Show"
          value={show}
          error={filterErrors.show}
          options={[
            { value: "all", label: "All keys, revoked ones too" },
            { value: "active", label: "Keys not revoked" },
          ]}
        />
        <div class="actions">
          <button type="submit">Filter</button>
        </div>
      </form>
      {page && (
        <>
          <Table caption="Your API keys, newest first" columns={columns(ctx)} rows={page.items} empty="You have no API keys." />
          <Pager path={PATH} params={{ show }} cursor={cursor || undefined} next={page.next_cursor} />
        </>
      )}
      <KeyForm action={`${PATH}/create`} csrf={ctx.csrf} role={ctx.user.role} values={o.values} errors={o.errors} />
    </>,
    { status: o.status ?? (page ? 200 : 400) },
  );
}

/** A key error of the service as field errors, or undefined when it is no field's. */
function keyFieldErrors(e: ApiError): FieldErrors | undefined {
  const out: FieldErrors = {};
  for (const err of e.options.errors ?? []) {
    const name = err.pointer?.startsWith("/scopes") ? "scopes" : err.pointer === "/expires_at" ? "expires" : undefined;
    if (name) out[name] ??= name === "expires" ? "Pick a date in the future" : err.detail;
  }
  if (e.code === "conflict") out.name = e.options.detail ?? "Too many active keys";
  return Object.keys(out).length ? out : undefined;
}

/**
 * Your API keys (request network, where keys are made): the same services as /v1/api-keys. The
 * secret is in the one response that created it (no-store), never in a URL, flash or log; the
 * form's one-time token (kept like an Idempotency-Key) makes a resent form create nothing.
 */
export const keysPage = definePage({
  path: PATH,
  title: "API keys",
  nav: "API keys",
  roles: ANY_ROLE,
  networks: ["request"],
  get: (ctx) => renderKeys(ctx, { values: emptyKeyForm(), errors: {} }),
  actions: {
    async create(ctx) {
      const values = readKeyForm(ctx.form, ctx.field);
      const parsed = parseKeyForm(values);
      if ("errors" in parsed) return renderKeys(ctx, { values, errors: parsed.errors, status: 400 });
      const p = principalOf(ctx.c);
      const token = parseIdempotencyKey(values.token || undefined);
      if (!p.userId || !token) throw new ApiError("validation_failed", { detail: "the form has no token: reload the page and fill it in again" });
      const userId = p.userId;
      const onceKey = `console-api-key:${token}`;
      try {
        // The form's token is done in the same batch as the key, and keeps only the key's id.
        const outcome = await once(ctx.s, userId, onceKey, await fingerprintOf(parsed.input), (record) =>
          createOwnApiKey(ctx.s, p, parsed.input, actorOf(ctx.c), (r) => record(201, { id: r.id })),
        );
        if ("replay" in outcome) return ctx.redirect(PATH, { kind: "ok", text: ALREADY });
        const { row, key } = outcome.result;
        ctx.c.header("Cache-Control", "no-store");
        return renderKeys(ctx, { values: emptyKeyForm(), errors: {}, created: { row, secret: key }, status: 201 });
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.code === "idempotency_in_flight") return ctx.redirect(PATH, { kind: "ok", text: ALREADY });
        if (e.code === "idempotency_key_reused") {
          return renderKeys(ctx, {
            values: { ...values, token: crypto.randomUUID() },
            errors: { name: "This form was already sent with other content; check it and send it again" },
            status: 409,
          });
        }
        const errors = keyFieldErrors(e);
        if (errors) return renderKeys(ctx, { values, errors, status: 400 });
        throw e;
      }
    },
    // The same service and access as DELETE /v1/api-keys/{id}: your own keys (admins: anyone's).
    async revoke(ctx) {
      const id = ctx.field("id");
      if (!id || id.length > 64) throw new ApiError("not_found", { detail: "no such API key" });
      const key = await visibleApiKey(ctx.s, principalOf(ctx.c), id);
      const ask = ctx.confirm({
        question: `Revoke the key "${key.name}" (${key.prefix}…)? Programs using it are refused from now on; this cannot be undone.`,
        confirmLabel: "Yes, revoke it",
        cancelHref: PATH,
      });
      if (ask) return ask;
      const done = await revokeApiKey(ctx.s, key, actorOf(ctx.c));
      return ctx.redirect(PATH, { kind: "ok", text: `Key "${done.name}" (${done.prefix}…) revoked.` });
    },
  },
});
