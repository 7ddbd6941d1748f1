import { z } from "zod";
import { listAuditEntries, type AuditFilter } from "../../audit/entries.ts";
import { verifyAuditChain } from "../../audit/audit.ts";
import { findUserByEmail } from "../../identity/users.ts";
import { bounded } from "../../lib/text.ts";
import { definePage, type PageContext } from "../page.ts";
import { ErrorSummary, Input, PostForm, Select, FilterActions, type FieldErrors } from "../components/form.tsx";
import { Pager, Table, type Column } from "../components/table.tsx";
import { Time } from "../components/time.tsx";

const PATH = "/console/audit";
const PAGE_SIZE = 50;
const LABELS = { action: "Action", actor: "Actor", outcome: "Outcome", since: "From (UTC)", until: "To (UTC)", cursor: "Page" };
const date = z.union([z.literal(""), z.iso.date("Enter a date as YYYY-MM-DD")]);
// The same bounds as GET /v1/admin/audit.
const Filters = z.object({
  action: z.string().trim().max(64, "At most 64 characters"),
  actor: z.string().trim().max(320, "At most 320 characters"),
  outcome: z.enum(["", "success", "failure"], "Pick success or failure"),
  since: date,
  until: date,
  cursor: z.string().max(512),
});
type Row = Awaited<ReturnType<typeof listAuditEntries>>["items"][number];

/** The filters as the list service takes them, or the fields that are wrong. An actor may be given by e-mail address. */
async function toFilter(ctx: PageContext, q: z.infer<typeof Filters>): Promise<{ filter: AuditFilter } | { errors: FieldErrors }> {
  const errors: FieldErrors = {};
  if (q.since && q.until && q.since > q.until) errors.until = "The end date is before the start date";
  let actorId = q.actor || undefined;
  if (q.actor.includes("@")) {
    actorId = (await findUserByEmail(ctx.s, q.actor))?.id;
    if (!actorId) errors.actor = "No account has this e-mail address";
  }
  if (Object.keys(errors).length) return { errors };
  return {
    filter: {
      action: q.action || undefined,
      actorId,
      outcome: q.outcome || undefined,
      since: q.since ? `${q.since}T00:00:00.000Z` : undefined,
      until: q.until ? `${q.until}T23:59:59.999Z` : undefined,
    },
  };
}

const columns = (now: Date): Column<Row>[] => [
  { label: "#", cell: (r) => r.seq, numeric: true },
  { label: "When", cell: (r) => <Time at={r.at} now={now} /> },
  { label: "Actor", cell: (r) => `${r.actorType}${r.actorId ? ` ${r.actorId}` : ""}` },
  { label: "Action", cell: (r) => <code>{r.action}</code> },
  { label: "Target", cell: (r) => (r.targetType ? `${r.targetType} ${r.targetId ?? ""}` : "–") },
  { label: "Outcome", cell: (r) => <span class={r.outcome === "failure" ? "status-failure" : undefined}>{r.outcome}</span> },
  { label: "Details", cell: (r) => (r.details ? <code>{bounded(r.details, 300)}</code> : "–") },
];

/** The audit log (admins): filter by action, actor and date, keyset pages, and the hash-chain check. */
export const auditPage = definePage({
  path: PATH,
  title: "Audit log",
  nav: "Audit",
  roles: ["admin"],
  async get(ctx) {
    const raw = {
      action: ctx.query("action"),
      actor: ctx.query("actor", 400),
      outcome: ctx.query("outcome"),
      since: ctx.query("since"),
      until: ctx.query("until"),
      cursor: ctx.query("cursor", 600),
    };
    const parsed = Filters.safeParse(raw);
    const errors: FieldErrors = {};
    if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
    const result = parsed.success ? await toFilter(ctx, parsed.data) : { errors };
    const page = "filter" in result ? await listAuditEntries(ctx.s, result.filter, { limit: PAGE_SIZE, cursor: raw.cursor || undefined }) : undefined;
    const fieldErrors = "errors" in result ? result.errors : {};
    const params = { ...raw, cursor: undefined };
    return ctx.render(
      <>
        <ErrorSummary errors={fieldErrors} labels={LABELS} />
        <form method="get" action={PATH} class="filters" aria-label="Filter the audit log">
          <Input name="action" label={LABELS.action} hint="e.g. auth.login" value={raw.action} error={fieldErrors.action} maxlength={64} />
          <Input name="actor" label={LABELS.actor} hint="User id or e-mail address" value={raw.actor} error={fieldErrors.actor} maxlength={320} />
          <Select
            name="outcome"
            label={LABELS.outcome}
            value={raw.outcome}
            error={fieldErrors.outcome}
            options={[
              { value: "", label: "Any" },
              { value: "success", label: "Success" },
              { value: "failure", label: "Failure" },
            ]}
          />
          <Input name="since" label={LABELS.since} type="date" value={raw.since} error={fieldErrors.since} />
          <Input name="until" label={LABELS.until} type="date" value={raw.until} error={fieldErrors.until} />
          <FilterActions clearHref={PATH} />
        </form>
        <PostForm action={`${PATH}/verify`} csrf={ctx.csrf} class="actions">
          <button type="submit" class="secondary">
            Check the hash chain
          </button>
          <span class="hint">Recomputes every entry's hash from the first one.</span>
        </PostForm>
        {page && (
          <>
            <Table caption="Audit entries, newest first" columns={columns(ctx.now)} rows={page.items} empty="No audit entries match these filters." />
            <Pager path={PATH} params={params} cursor={raw.cursor || undefined} next={page.next_cursor} />
          </>
        )}
      </>,
      { status: page ? 200 : 400 },
    );
  },
  actions: {
    async verify(ctx) {
      const r = await verifyAuditChain(ctx.s);
      return ctx.redirect(
        PATH,
        r.ok
          ? { kind: "ok", text: `Hash chain intact: ${r.checked} entries checked.` }
          : { kind: "error", text: `Hash chain broken at entry ${r.first_broken_seq}: ${r.reason} (${r.checked} entries before it are intact).` },
      );
    },
  },
});
