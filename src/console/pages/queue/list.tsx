import { z } from "zod";
import { ANSWERERS } from "../../../requests/answers.ts";
import { countQueue, listQueue, type QueueFilter } from "../../../requests/queue.ts";
import type { RequestRow } from "../../../requests/records.ts";
import { emailsOf } from "../../../identity/users.ts";
import { bounded } from "../../../lib/text.ts";
import { definePage } from "../../page.ts";
import { relativeAge } from "../../format.ts";
import { ErrorSummary, Input, Select, FilterActions, type FieldErrors } from "../../components/form.tsx";
import { Pager, Table, type Column } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";
import { ClaimState } from "./parts.tsx";

const PATH = "/console/queue";
const PAGE_SIZE = 50;
const LABELS = { topic: "Topic", priority: "Priority", age: "Waiting", claimed: "Claim", cursor: "Page" };
const AGES = [
  { value: "", label: "Any time" },
  { value: "5", label: "5 min or more" },
  { value: "15", label: "15 min or more" },
  { value: "60", label: "1 h or more" },
  { value: "240", label: "4 h or more" },
  { value: "1440", label: "1 day or more" },
];
const PRIORITIES = [{ value: "", label: "Any" }, ...[9, 8, 7, 6, 5, 4, 3, 2, 1].map((p) => ({ value: String(p), label: `${p} or more urgent` }))];
const CLAIMS = [
  { value: "any", label: "Any" },
  { value: "unclaimed", label: "Unclaimed" },
  { value: "mine", label: "Claimed by me" },
  { value: "others", label: "Claimed by others" },
];
// The same bounds as GET /v1/queue.
const Filters = z.object({
  topic: z.string().trim().max(200, "At most 200 characters"),
  priority: z.enum(["", "1", "2", "3", "4", "5", "6", "7", "8", "9"], "Pick a priority from the list"),
  age: z.enum(["", ...AGES.slice(1).map((a) => a.value)] as [string, ...string[]], "Pick a waiting time from the list"),
  claimed: z.enum(["any", "unclaimed", "mine", "others"], "Pick a claim state from the list"),
  cursor: z.string().max(512),
});

interface Row {
  r: RequestRow;
  requester: string;
}

const columns = (now: Date, me: string): Column<Row>[] => [
  { label: "Priority", cell: ({ r }) => r.priority, numeric: true },
  { label: "Topic", cell: ({ r }) => <a href={`${PATH}/${encodeURIComponent(r.id)}`}>{bounded(r.topic, 120)}</a> },
  { label: "Waiting", cell: ({ r }) => <time datetime={r.createdAt}>{relativeAge(r.createdAt, now).replace(/ ago$/, "")}</time> },
  { label: "Status", cell: ({ r }) => r.status },
  { label: "Claim", cell: ({ r }) => <ClaimState r={r} now={now} me={me} /> },
  {
    label: "Processor",
    cell: ({ r }) =>
      r.processorError ? (
        <span class="status-failure">{`${r.processorAttempts} attempts: ${bounded(r.processorError, 120)}`}</span>
      ) : r.processorAttempts ? (
        `${r.processorAttempts} attempts`
      ) : (
        "–"
      ),
  },
  { label: "Requester", cell: (row) => row.requester },
  { label: "Received", cell: ({ r }) => <Time at={r.createdAt} now={now} /> },
];

/** The operators' queue: the API's order (most urgent, then oldest), filters, keyset pages; each request opens its page. */
export const queuePage = definePage({
  path: PATH,
  title: "Queue",
  nav: "Queue",
  roles: ANSWERERS,
  networks: ["response"],
  async get(ctx) {
    const raw = {
      topic: ctx.query("topic", 300),
      priority: ctx.query("priority"),
      age: ctx.query("age"),
      claimed: ctx.query("claimed") || "any",
      cursor: ctx.query("cursor", 600),
    };
    const parsed = Filters.safeParse(raw);
    const errors: FieldErrors = {};
    if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
    let body = null;
    if (parsed.success) {
      const q = parsed.data;
      const filter: QueueFilter = {
        topic: q.topic || undefined,
        claimed: q.claimed,
        minPriority: q.priority ? Number(q.priority) : undefined,
        createdBefore: q.age ? new Date(ctx.now.getTime() - Number(q.age) * 60_000).toISOString() : undefined,
      };
      const [page, total] = await Promise.all([listQueue(ctx.s, ctx.user.id, filter, { limit: PAGE_SIZE, cursor: q.cursor || undefined }), countQueue(ctx.s, ctx.user.id, filter)]);
      const emails = await emailsOf(
        ctx.s,
        page.items.map((r) => r.userId),
      );
      const rows = page.items.map((r) => ({ r, requester: emails.get(r.userId) ?? r.userId }));
      body = (
        <>
          <p class="lead">{total === 1 ? "1 open request matches." : `${total} open requests match.`} Most urgent first, then oldest first.</p>
          <Table caption="Open requests, most urgent first" columns={columns(ctx.now, ctx.user.id)} rows={rows} empty="No open requests match these filters." />
          <Pager
            path={PATH}
            params={{ ...raw, claimed: raw.claimed === "any" ? undefined : raw.claimed, cursor: undefined }}
            cursor={q.cursor || undefined}
            next={page.next_cursor}
          />
        </>
      );
    }
    return ctx.render(
      <>
        <ErrorSummary errors={errors} labels={LABELS} />
        <form method="get" action={PATH} class="filters" aria-label="Filter the queue">
          <Input name="topic" label={LABELS.topic} hint="The exact topic" value={raw.topic} error={errors.topic} maxlength={200} />
          <Select name="priority" label={LABELS.priority} value={raw.priority} error={errors.priority} options={PRIORITIES} />
          <Select name="age" label={LABELS.age} value={raw.age} error={errors.age} options={AGES} />
          <Select name="claimed" label={LABELS.claimed} value={raw.claimed} error={errors.claimed} options={CLAIMS} />
          <FilterActions clearHref={PATH} />
        </form>
        {body}
      </>,
      { status: body ? 200 : 400 },
    );
  },
});
