import { ApiError } from "../../../errors.ts";
import { actorOf } from "../../../audit/audit.ts";
import { getUser, updateUser, type UserPatch } from "../../../identity/users.ts";
import { getApiKey, listApiKeys, publicApiKey, revokeApiKey, revokeUserApiKeys } from "../../../identity/api-keys.ts";
import { ROLES, type Role } from "../../../identity/roles.ts";
import { userLimits } from "../../../limits/quotas.ts";
import { WINDOWS, parseRateLimitOverride } from "../../../limits/policy.ts";
import { definePage, type PageContext } from "../../page.ts";
import { ErrorSummary, Input, PostForm, Select, type FieldErrors } from "../../components/form.tsx";
import { ConfirmForm } from "../../components/confirm.tsx";
import { Table } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";
import { ROLE_OPTIONS } from "./list.tsx";
import { parseLimitsForm, passwordProblem } from "./parts.tsx";

const PATH = "/console/users/:id";
const LABELS = { role: "Role", minute: "Per minute", hour: "Per hour", day: "Per day", password: "New password", confirm: "Confirmation" };
const SOURCES = { role_default: "role default", user_override: "this user's override", key_override: "key override" };
/** Refusals for reasons of state: a message on the page, not an error page. */
const STATE_CODES = ["last_admin", "conflict"];

const hrefOf = (id: string) => `/console/users/${encodeURIComponent(id)}`;
const idOf = (ctx: PageContext) => ctx.c.req.param("id") ?? "";

async function userOf(ctx: PageContext) {
  const user = await getUser(ctx.s, idOf(ctx));
  if (!user) throw new ApiError("not_found", { detail: `There is no user ${idOf(ctx).slice(0, 64)}.` });
  return user;
}

async function render(ctx: PageContext, o: { errors?: FieldErrors; values?: Record<string, string> } = {}, status: 200 | 400 = 200) {
  const u = await userOf(ctx);
  const keys = await listApiKeys(ctx.s, ctx.c.get("principal")!, { userId: u.id, includeRevoked: true }, { limit: 100 });
  const active = keys.items.filter((k) => !k.revokedAt);
  const override = (() => {
    try {
      return parseRateLimitOverride(u.rateLimits, u.role) ?? {};
    } catch {
      return {};
    }
  })();
  const errors = o.errors ?? {};
  const v = o.values ?? {};
  const href = hrefOf(u.id);
  return ctx.render(
    <>
      <ErrorSummary errors={errors} labels={LABELS} />
      <p>
        <a href="/console/users">Back to the users</a>
      </p>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{u.name}</dd>
        <dt>Role</dt>
        <dd>{u.role}</dd>
        <dt>Status</dt>
        <dd class={u.status === "disabled" ? "status-failure" : undefined}>{u.status}</dd>
        <dt>Created</dt>
        <dd>
          <Time at={u.createdAt} now={ctx.now} />
        </dd>
        <dt>Changed</dt>
        <dd>
          <Time at={u.updatedAt} now={ctx.now} /> (version {u.version})
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{u.id}</code>
        </dd>
      </dl>

      <h2>Status</h2>
      {u.status === "active" ? (
        <ConfirmForm action={`${href}/disable`} csrf={ctx.csrf} label="Disable this account">
          <span class="hint">Their sessions end at once; their API keys stop working.</span>
        </ConfirmForm>
      ) : (
        <PostForm action={`${href}/enable`} csrf={ctx.csrf} class="actions">
          <button type="submit">Enable this account</button>
        </PostForm>
      )}

      <h2>Role</h2>
      <PostForm action={`${href}/role`} csrf={ctx.csrf} class="filters">
        <Select name="role" label={LABELS.role} value={v.role ?? u.role} error={errors.role} options={ROLE_OPTIONS} />
        <div class="actions">
          <button type="submit">Change the role</button>
        </div>
      </PostForm>

      <h2>Rate limits</h2>
      <Table
        caption="Limits that apply now"
        columns={[
          { label: "Window", cell: (w) => w.window },
          { label: "Requests", cell: (w) => w.limit, numeric: true },
          { label: "From", cell: (w) => SOURCES[w.source] },
        ]}
        rows={userLimits(ctx.s, u).windows}
        empty="No limits."
      />
      <PostForm action={`${href}/limits`} csrf={ctx.csrf} class="filters">
        {WINDOWS.map((w) => (
          <Input
            name={w}
            label={LABELS[w]}
            hint="Blank: the role's default"
            inputmode="numeric"
            value={v[w] ?? (override[w] === undefined ? "" : String(override[w]))}
            error={errors[w]}
            maxlength={10}
          />
        ))}
        <div class="actions">
          <button type="submit">Save the limits</button>
        </div>
      </PostForm>

      <h2>Password</h2>
      <PostForm action={`${href}/password`} csrf={ctx.csrf} class="panel">
        <Input
          name="password"
          label={LABELS.password}
          type="password"
          autocomplete="new-password"
          hint="At least 12 characters. Give it to the user by a safe channel."
          error={errors.password}
          required
          maxlength={1024}
        />
        <div class="field">
          {errors.confirm && (
            <span class="field-error" id="f-confirm-error">
              {errors.confirm}
            </span>
          )}
          <label class="check">
            <input
              type="checkbox"
              id="f-confirm"
              name="confirm"
              value="yes"
              required
              aria-describedby={errors.confirm ? "f-confirm-error" : undefined}
              aria-invalid={errors.confirm ? "true" : undefined}
            />
            {` Yes, set this password and sign ${u.email} out everywhere`}
          </label>
        </div>
        <div class="actions">
          <button type="submit" class="danger">
            Reset the password
          </button>
        </div>
      </PostForm>

      <h2>API keys</h2>
      {active.length > 0 && <ConfirmForm action={`${href}/revoke-keys`} csrf={ctx.csrf} label={`Revoke all ${active.length} active keys`} />}
      <Table
        caption="API keys, newest first"
        columns={[
          { label: "Name", cell: (k) => k.name },
          { label: "Prefix", cell: (k) => <code>{k.prefix}</code> },
          { label: "Scopes", cell: (k) => publicApiKey(k).scopes.join(", ") || "–" },
          { label: "Created", cell: (k) => <Time at={k.createdAt} now={ctx.now} /> },
          { label: "Last used", cell: (k) => <Time at={k.lastUsedAt} now={ctx.now} /> },
          {
            label: "Revoked",
            cell: (k) =>
              k.revokedAt ? (
                <Time at={k.revokedAt} now={ctx.now} />
              ) : (
                <ConfirmForm action={`${href}/revoke-key`} csrf={ctx.csrf} label={`Revoke ${k.prefix}`} fields={{ key_id: k.id }} />
              ),
          },
        ]}
        rows={keys.items}
        empty="This user has no API keys here (keys are created on the request network and arrive with its batches)."
      />
    </>,
    { status, title: `User: ${u.email}` },
  );
}

/** One change through updateUser (the service behind PATCH/DELETE /v1/admin/users/:id); refusals of state come back as a message. */
async function change(ctx: PageContext, patch: UserPatch, done: string) {
  const u = await userOf(ctx);
  try {
    await updateUser(ctx.s, u.id, patch, actorOf(ctx.c));
  } catch (e) {
    if (e instanceof ApiError && STATE_CODES.includes(e.code)) return ctx.redirect(hrefOf(u.id), { kind: "error", text: `Not changed: ${e.options.detail ?? e.message}.` });
    throw e;
  }
  return ctx.redirect(hrefOf(u.id), { kind: "ok", text: done });
}

/** One account: status, role, per-user rate limits, a new password, and its API keys. */
export const userPage = definePage({
  path: PATH,
  title: "User",
  roles: ["admin"],
  networks: ["response"],
  get: (ctx) => render(ctx),
  actions: {
    async disable(ctx) {
      const u = await userOf(ctx);
      const ask = ctx.confirm({
        question: `Disable ${u.email}? Their sessions end at once and they cannot sign in until enabled again.`,
        confirmLabel: "Yes, disable",
        cancelHref: hrefOf(u.id),
      });
      return ask ?? change(ctx, { status: "disabled" }, `${u.email} is disabled; their sessions have ended.`);
    },
    async enable(ctx) {
      return change(ctx, { status: "active" }, "The account is enabled.");
    },
    async role(ctx) {
      const role = ctx.field("role");
      if (!(ROLES as readonly string[]).includes(role)) return render(ctx, { errors: { role: "Pick a role from the list" } }, 400);
      return change(ctx, { role: role as Role }, `The role is now ${role}.`);
    },
    async limits(ctx) {
      const values = Object.fromEntries(WINDOWS.map((w) => [w, ctx.field(w).slice(0, 20)]));
      const parsed = parseLimitsForm(values);
      if (!parsed.ok) return render(ctx, { errors: parsed.errors, values }, 400);
      return change(ctx, { rate_limits: parsed.value }, parsed.value ? "The rate limits are saved." : "The override is removed: the role's defaults apply.");
    },
    async password(ctx) {
      const password = ctx.field("password");
      const errors: FieldErrors = {};
      if (!password) errors.password = "Enter the new password";
      else if (password.length > 1024) errors.password = "At most 1024 characters";
      if (ctx.field("confirm") !== "yes") errors.confirm = "Tick the box to confirm";
      if (Object.keys(errors).length) return render(ctx, { errors }, 400);
      try {
        return await change(ctx, { password }, "The password is reset; the user's sessions have ended.");
      } catch (e) {
        const problem = passwordProblem(e);
        if (problem) return render(ctx, { errors: { password: problem } }, 400);
        throw e;
      }
    },
    async "revoke-key"(ctx) {
      const u = await userOf(ctx);
      const key = await getApiKey(ctx.s, ctx.field("key_id").slice(0, 64));
      if (!key || key.userId !== u.id) throw new ApiError("not_found", { detail: "This user has no such API key." });
      const ask = ctx.confirm({
        question: `Revoke the key ${key.prefix} (“${key.name}”) of ${u.email}? It stops working on both networks.`,
        confirmLabel: "Yes, revoke it",
        cancelHref: hrefOf(u.id),
      });
      if (ask) return ask;
      await revokeApiKey(ctx.s, key, actorOf(ctx.c));
      return ctx.redirect(hrefOf(u.id), { kind: "ok", text: `The key ${key.prefix} is revoked.` });
    },
    async "revoke-keys"(ctx) {
      const u = await userOf(ctx);
      const ask = ctx.confirm({
        question: `Revoke every active API key of ${u.email}? They stop working on both networks.`,
        confirmLabel: "Yes, revoke them all",
        cancelHref: hrefOf(u.id),
      });
      if (ask) return ask;
      const n = await revokeUserApiKeys(ctx.s, u.id, actorOf(ctx.c));
      return ctx.redirect(hrefOf(u.id), { kind: "ok", text: `${n} API ${n === 1 ? "key" : "keys"} revoked.` });
    },
  },
});
