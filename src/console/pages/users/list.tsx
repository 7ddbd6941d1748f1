import { z } from "zod";
import { listUsers, type UserRow } from "../../../identity/users.ts";
import { ROLES } from "../../../identity/roles.ts";
import { definePage } from "../../page.ts";
import { ErrorSummary, Input, Select, FilterActions, type FieldErrors } from "../../components/form.tsx";
import { Pager, Table, type Column } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";
import { limitsSummary } from "./parts.tsx";

const PATH = "/console/users";
const PAGE_SIZE = 50;
const LABELS = { email: "E-mail address starts with", role: "Role", status: "Status", cursor: "Page" };
export const ROLE_OPTIONS = ROLES.map((r) => ({ value: r, label: r }));
// The same bounds as GET /v1/admin/users.
const Filters = z.object({
  email: z.string().trim().max(320, "At most 320 characters"),
  role: z.enum(["", ...ROLES], "Pick a role from the list"),
  status: z.enum(["", "active", "disabled"], "Pick active or disabled"),
  cursor: z.string().max(512),
});

const columns = (now: Date): Column<UserRow>[] => [
  { label: "E-mail address", cell: (u) => <a href={`${PATH}/${encodeURIComponent(u.id)}`}>{u.email}</a> },
  { label: "Name", cell: (u) => u.name },
  { label: "Role", cell: (u) => u.role },
  { label: "Status", cell: (u) => <span class={u.status === "disabled" ? "status-failure" : undefined}>{u.status}</span> },
  { label: "Rate limits", cell: (u) => limitsSummary(u.rateLimits) },
  { label: "Created", cell: (u) => <Time at={u.createdAt} now={now} /> },
];

/** The accounts (admins; written on the response network, which owns them): filters, keyset pages, and a way to create one. */
export const usersPage = definePage({
  path: PATH,
  title: "Users",
  nav: "Users",
  roles: ["admin"],
  networks: ["response"],
  async get(ctx) {
    const raw = { email: ctx.query("email", 400), role: ctx.query("role"), status: ctx.query("status"), cursor: ctx.query("cursor", 600) };
    const parsed = Filters.safeParse(raw);
    const errors: FieldErrors = {};
    if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
    const q = parsed.success ? parsed.data : undefined;
    const page = q
      ? await listUsers(ctx.s, { email: q.email || undefined, role: q.role || undefined, status: q.status || undefined }, { limit: PAGE_SIZE, cursor: q.cursor || undefined })
      : undefined;
    return ctx.render(
      <>
        <ErrorSummary errors={errors} labels={LABELS} />
        <p class="actions">
          <a class="button" href={`${PATH}/new`}>
            Create a user
          </a>
        </p>
        <form method="get" action={PATH} class="filters" aria-label="Filter the users">
          <Input name="email" label={LABELS.email} value={raw.email} error={errors.email} maxlength={320} />
          <Select name="role" label={LABELS.role} value={raw.role} error={errors.role} options={[{ value: "", label: "Any" }, ...ROLE_OPTIONS]} />
          <Select
            name="status"
            label={LABELS.status}
            value={raw.status}
            error={errors.status}
            options={[
              { value: "", label: "Any" },
              { value: "active", label: "Active" },
              { value: "disabled", label: "Disabled" },
            ]}
          />
          <FilterActions clearHref={PATH} />
        </form>
        {page && (
          <>
            <Table caption="Users, oldest first" columns={columns(ctx.now)} rows={page.items} empty="No users match these filters." />
            <Pager path={PATH} params={{ ...raw, cursor: undefined }} cursor={raw.cursor || undefined} next={page.next_cursor} />
          </>
        )}
      </>,
      { status: page ? 200 : 400 },
    );
  },
});
