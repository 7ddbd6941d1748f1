import type { Context, Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../errors.ts";
import { passwordLogin } from "../../identity/login.ts";
import type { ConsoleEnv } from "../env.ts";
import { renderPage } from "../render.tsx";
import { csrfToken } from "../csrf.ts";
import { field, formPosts } from "../forms.ts";
import { endConsoleSession, startConsoleSession } from "../session.ts";
import { setFlash } from "../flash.ts";
import { ErrorSummary, Input, PostForm, type FieldErrors } from "../components/form.tsx";

// The same bounds as POST /v1/auth/token.
const Credentials = z.object({
  email: z.string().trim().min(3, "Enter your e-mail address").max(320, "At most 320 characters"),
  password: z.string().min(1, "Enter your password").max(1024, "At most 1024 characters"),
});
const LABELS = { email: "E-mail address", password: "Password", form: "Sign-in" };

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Only a console path, never another site (`//evil`) or a scheme. */
const safeNext = (next: string) => (/^\/console(\/[\w\-./?=&%~]*)?$/.test(next) && !next.startsWith("//") ? next : "/console");

async function form(c: Context<ConsoleEnv>, o: { email?: string; next: string; errors?: FieldErrors; status?: 200 | 400 | 401 | 403 | 429 }) {
  const body = (
    <div class="panel">
      {o.errors && <ErrorSummary errors={o.errors} labels={LABELS} />}
      <PostForm action="/console/sign-in" csrf={csrfToken(c)}>
        <input type="hidden" name="next" value={o.next} />
        <Input name="email" label={LABELS.email} type="email" autocomplete="username" value={o.email} error={o.errors?.email} required maxlength={320} />
        <Input name="password" label={LABELS.password} type="password" autocomplete="current-password" error={o.errors?.password} required maxlength={1024} />
        <div class="actions">
          <button type="submit">Sign in</button>
        </div>
      </PostForm>
    </div>
  );
  return renderPage(c, { title: "Sign in", body, nav: [], status: o.status });
}

/** `GET/POST /console/sign-in` and `POST /console/sign-out`: the same login as `POST /v1/auth/token` (src/identity/login.ts). */
export function registerSignIn(ui: Hono<ConsoleEnv>) {
  ui.get("/console/sign-in", (c) => {
    const next = safeNext(c.req.query("next") ?? "/console");
    if (c.get("consoleUser")) return c.redirect(next, 303);
    return form(c, { next });
  });

  ui.post("/console/sign-in", formPosts(), async (c) => {
    const f = c.get("form");
    const next = safeNext(field(f, "next"));
    const parsed = Credentials.safeParse({ email: field(f, "email"), password: field(f, "password") });
    const email = field(f, "email").slice(0, 320);
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const i of parsed.error.issues) errors[String(i.path[0])] ??= i.message;
      return form(c, { email, next, errors, status: 400 });
    }
    try {
      const { tokens } = await passwordLogin(c, parsed.data.email, parsed.data.password);
      startConsoleSession(c, tokens);
    } catch (e) {
      if (!(e instanceof ApiError) || !["invalid_credentials", "account_disabled", "rate_limited"].includes(e.code)) throw e;
      for (const [k, v] of Object.entries(e.options.headers ?? {})) c.header(k, v);
      const message = e.code === "invalid_credentials" ? "The e-mail address or password is wrong." : `${capitalised(e.options.detail ?? e.message)}.`;
      return form(c, { email, next, errors: { email: message }, status: e.code === "rate_limited" ? 429 : e.code === "account_disabled" ? 403 : 401 });
    }
    return c.redirect(next, 303);
  });

  // Signed out already: nothing to end, straight to the sign-in page (no token to check).
  ui.post(
    "/console/sign-out",
    async (c, next) => (c.get("consoleUser") ? next() : c.redirect("/console/sign-in", 303)),
    formPosts(),
    async (c) => {
      await endConsoleSession(c);
      setFlash(c, { kind: "ok", text: "You have signed out." });
      return c.redirect("/console/sign-in", 303);
    },
  );
}
