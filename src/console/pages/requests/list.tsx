import { ApiError } from "../../../errors.ts";
import { principalOf } from "../../../middleware/auth.ts";
import { parseIdempotencyKey } from "../../../requests/idempotency.ts";
import { FINAL_STATUSES, REQUEST_STATUSES, type RequestRow, type RequestStatus } from "../../../requests/records.ts";
import { SUBMITTERS, listRequests, submitRequest } from "../../../requests/requests.ts";
import { definePage, type PageContext } from "../../page.ts";
import { ErrorSummary, Select, FilterActions, type FieldErrors } from "../../components/form.tsx";
import { Pager, Table, type Column } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";
import { SubmitForm, emptySubmit, fieldErrorsOf, parseSubmit, type SubmitValues } from "./submit-form.tsx";
import { StatusTag } from "./parts.tsx";

const PATH = "/console/requests";
const PAGE_SIZE = 25;
/** Still waiting for an outcome. */
const OPEN = REQUEST_STATUSES.filter((s) => !(FINAL_STATUSES as readonly string[]).includes(s));
const STATUS_OPTIONS = [{ value: "", label: "Any" }, { value: "open", label: "Open (no answer yet)" }, ...REQUEST_STATUSES.map((s) => ({ value: s, label: s }))];

function statusFilter(v: string): RequestStatus[] | undefined | null {
  if (!v) return undefined;
  if (v === "open") return [...OPEN];
  return (REQUEST_STATUSES as readonly string[]).includes(v) ? [v as RequestStatus] : null;
}

const columns = (now: Date): Column<RequestRow>[] => [
  { label: "Topic", cell: (r) => <a href={`${PATH}/${r.id}`}>{r.topic}</a> },
  { label: "Status", cell: (r) => <StatusTag status={r.status} /> },
  { label: "Priority", cell: (r) => r.priority, numeric: true },
  { label: "Submitted", cell: (r) => <Time at={r.createdAt} now={now} /> },
  { label: "Answered", cell: (r) => <Time at={r.answeredAt} now={now} /> },
  { label: "Id", cell: (r) => <code>{r.id}</code> },
];

/** The list (with its status filter) and the submit form, as one page. */
async function listPage(ctx: PageContext, o: { values: SubmitValues; errors: FieldErrors; status?: 400 | 409 }) {
  const status = ctx.query("status", 20);
  const cursor = ctx.query("cursor", 600);
  const statuses = statusFilter(status);
  const filterErrors: FieldErrors = statuses === null ? { status: "Pick one of the listed statuses" } : {};
  const page = statuses === null ? undefined : await listRequests(ctx.s, principalOf(ctx.c), { statuses, userId: ctx.user.id }, { limit: PAGE_SIZE, cursor: cursor || undefined });
  return ctx.render(
    <>
      <p>
        <a href="#submit-title">Submit a new request</a> · Answers arrive when the courier carries the next batch across the gap.
      </p>
      <ErrorSummary errors={filterErrors} labels={{ status: "Status" }} />
      <form method="get" action={PATH} class="filters" aria-label="Filter your requests">
        <Select name="status" label="Status" value={status} error={filterErrors.status} options={STATUS_OPTIONS} />
        <FilterActions clearHref={PATH} />
      </form>
      {page && (
        <>
          <Table
            caption="Your requests, newest first"
            columns={columns(ctx.now)}
            rows={page.items}
            empty={status ? "None of your requests has this status." : "You have not submitted any request yet."}
          />
          <Pager path={PATH} params={{ status }} cursor={cursor || undefined} next={page.next_cursor} />
        </>
      )}
      <SubmitForm action={`${PATH}/submit`} csrf={ctx.csrf} values={o.values} errors={o.errors} maxChars={ctx.s.config.maxBodyBytes} />
    </>,
    { status: o.status ?? (page ? 200 : 400) },
  );
}

/** A requester's own requests (request network), newest first, and the form to submit one: the same service and checks as POST /v1/requests. */
export const myRequestsPage = definePage({
  path: PATH,
  title: "My requests",
  nav: "My requests",
  roles: SUBMITTERS,
  networks: ["request"],
  get: (ctx) => listPage(ctx, { values: emptySubmit(), errors: {} }),
  actions: {
    async submit(ctx) {
      const values: SubmitValues = {
        topic: ctx.field("topic").slice(0, 1000),
        priority: ctx.field("priority").slice(0, 2),
        format: ctx.field("format").slice(0, 10),
        body: ctx.field("body"),
        key: ctx.field("idempotency_key").slice(0, 300),
      };
      const parsed = parseSubmit(values, ctx.s.config.maxBodyBytes);
      if ("errors" in parsed) return listPage(ctx, { values: { ...values, body: values.body.slice(0, ctx.s.config.maxBodyBytes) }, errors: parsed.errors, status: 400 });
      const p = principalOf(ctx.c);
      if (p.userId === null) throw new ApiError("forbidden");
      try {
        const result = await submitRequest(ctx.s, { ...p, userId: p.userId }, parsed.input, parseIdempotencyKey(values.key || undefined));
        const id = (result.body as { id: string }).id;
        return ctx.redirect(
          `${PATH}/${id}`,
          result.replayed ? { kind: "ok", text: "This form was sent already: this is the request it created." } : { kind: "ok", text: "Request submitted." },
        );
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.code === "idempotency_in_flight")
          return ctx.redirect(PATH, { kind: "ok", text: "This form was sent already: your request is being submitted and will be listed here." });
        if (e.code === "idempotency_key_reused") {
          // The same rendering of the form sent again with other content: a fresh form, the content kept.
          return listPage(ctx, {
            values: { ...values, key: crypto.randomUUID() },
            errors: { body: "This form was already sent with other content; check it and send it again" },
            status: 409,
          });
        }
        const errors = fieldErrorsOf(e);
        if (errors) return listPage(ctx, { values: { ...values, body: values.body.slice(0, ctx.s.config.maxBodyBytes) }, errors, status: 400 });
        throw e;
      }
    },
  },
});
