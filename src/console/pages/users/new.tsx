import { ApiError } from "../../../errors.ts";
import { actorOf } from "../../../audit/audit.ts";
import { createUser } from "../../../identity/users.ts";
import { MIN_PASSWORD_CODE_POINTS } from "../../../identity/password.ts";
import { CreateUserSchema } from "../../../routes/admin/users/schemas.ts";
import { definePage, type PageContext } from "../../page.ts";
import { ErrorSummary, Input, PostForm, Select, type FieldErrors } from "../../components/form.tsx";
import { ROLE_OPTIONS } from "./list.tsx";
import { issuesByField, passwordProblem } from "./parts.tsx";

const PATH = "/console/users/new";
const LABELS = { email: "E-mail address", name: "Name", role: "Role", password: "Password" };

function form(ctx: PageContext, values: Record<string, string> = {}, errors: FieldErrors = {}, status: 200 | 400 | 409 = 200) {
  return ctx.render(
    <>
      <ErrorSummary errors={errors} labels={LABELS} />
      <p>
        <a href="/console/users">Back to the users</a>
      </p>
      <PostForm action={`${PATH}/create`} csrf={ctx.csrf} class="panel">
        <Input name="email" label={LABELS.email} type="email" autocomplete="off" value={values.email} error={errors.email} required maxlength={320} />
        <Input name="name" label={LABELS.name} value={values.name} error={errors.name} required maxlength={200} />
        <Select name="role" label={LABELS.role} value={values.role ?? "user"} error={errors.role} options={ROLE_OPTIONS} />
        <Input
          name="password"
          label={LABELS.password}
          type="password"
          autocomplete="new-password"
          hint={`At least ${MIN_PASSWORD_CODE_POINTS} characters; not the e-mail address. Give it to the user by a safe channel.`}
          error={errors.password}
          required
          maxlength={1024}
        />
        <div class="actions">
          <button type="submit">Create the user</button>
        </div>
      </PostForm>
    </>,
    { status },
  );
}

/** Creating an account: the same schema and service as POST /v1/admin/users (password policy, unique e-mail, audit, outbox). */
export const newUserPage = definePage({
  path: PATH,
  title: "Create a user",
  roles: ["admin"],
  networks: ["response"],
  get: (ctx) => form(ctx),
  actions: {
    async create(ctx) {
      // The password is never sent back into the page.
      const values = { email: ctx.field("email").slice(0, 320), name: ctx.field("name").slice(0, 200), role: ctx.field("role") };
      const parsed = CreateUserSchema.safeParse({ ...values, password: ctx.field("password") });
      if (!parsed.success) return form(ctx, values, issuesByField(parsed.error), 400);
      try {
        const user = await createUser(ctx.s, parsed.data, actorOf(ctx.c));
        return ctx.redirect(`/console/users/${encodeURIComponent(user.id)}`, { kind: "ok", text: `User ${user.email} created with the role ${user.role}.` });
      } catch (e) {
        const password = passwordProblem(e);
        if (password) return form(ctx, values, { password }, 400);
        if (e instanceof ApiError && e.code === "email_taken") return form(ctx, values, { email: "Another user has this e-mail address" }, 409);
        throw e;
      }
    },
  },
});
