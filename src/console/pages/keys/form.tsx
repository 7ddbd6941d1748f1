import type { Role } from "../../../identity/roles.ts";
import { SCOPES, SCOPE_NAMES, type Scope } from "../../../identity/scopes.ts";
import type { CreateApiKeyInput } from "../../../identity/api-keys.ts";
import { CreateApiKeySchema } from "../../../routes/api-keys/schemas.ts";
import { ErrorSummary, Input, PostForm, fieldId, type FieldErrors } from "../../components/form.tsx";
import type { FormFields } from "../../env.ts";

export const KEY_LABELS = { name: "Name", scopes: "Scopes", expires: "Expires after (UTC date)", form: "Form" };

/** What the form holds, and this rendering's one-time token (a second post of it creates no second key). */
export interface KeyValues {
  name: string;
  scopes: string[];
  expires: string;
  token: string;
}

export const emptyKeyForm = (): KeyValues => ({ name: "", scopes: [], expires: "", token: crypto.randomUUID() });

/** The scopes a key of this role may hold (the others are refused at creation). */
export const scopesFor = (role: Role): Scope[] => SCOPE_NAMES.filter((n) => (SCOPES[n].roles as readonly Role[]).includes(role));

// Checkboxes are one field each: the console keeps one value per field name.
const scopeField = (n: string) => `scope.${n}`;

export function readKeyForm(form: FormFields, field: (name: string) => string): KeyValues {
  return {
    name: field("name").slice(0, 300),
    scopes: SCOPE_NAMES.filter((n) => form[scopeField(n)] === "on"),
    expires: field("expires").slice(0, 20),
    token: field("form_token").slice(0, 300),
  };
}

/** The form as POST /v1/api-keys takes it, checked by the same schema; an expiry date means the end of that day (UTC). */
export function parseKeyForm(v: KeyValues): { input: CreateApiKeyInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (v.expires && !/^\d{4}-\d{2}-\d{2}$/.test(v.expires)) errors.expires = "Enter a date as YYYY-MM-DD";
  const parsed = CreateApiKeySchema.safeParse({ name: v.name, scopes: v.scopes, expires_at: v.expires && !errors.expires ? `${v.expires}T23:59:59Z` : undefined });
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const name = i.path[0] === "expires_at" ? "expires" : String(i.path[0]);
      errors[name] ??= name === "name" ? "Enter a name of 1 to 100 characters" : name === "expires" ? "Enter a valid date" : i.message;
    }
  }
  if (Object.keys(errors).length || !parsed.success) return { errors };
  return { input: parsed.data };
}

export function KeyForm(p: { action: string; csrf: string; role: Role; values: KeyValues; errors: FieldErrors }) {
  const v = p.values;
  const describedBy = p.errors.scopes ? `${fieldId("scopes")}-error` : undefined;
  return (
    <section class="panel wide" aria-labelledby="create-title">
      <h2 id="create-title">Create a key</h2>
      <ErrorSummary errors={p.errors} labels={KEY_LABELS} />
      <PostForm action={p.action} csrf={p.csrf}>
        <input type="hidden" name="form_token" value={v.token} />
        <Input name="name" label={KEY_LABELS.name} hint="What uses it, e.g. nightly-report" value={v.name} error={p.errors.name} required maxlength={100} />
        <fieldset class="checks" id={fieldId("scopes")} aria-describedby={describedBy}>
          <legend>{KEY_LABELS.scopes}</legend>
          <p class="hint">What the key may do, within your role ({p.role}). With none it can only identify itself (GET /v1/me).</p>
          {p.errors.scopes && (
            <p class="field-error" id={`${fieldId("scopes")}-error`}>
              {p.errors.scopes}
            </p>
          )}
          {scopesFor(p.role).map((n) => {
            const id = `f-scope-${n.replace(":", "-")}`;
            return (
              <div class="check">
                <input type="checkbox" id={id} name={scopeField(n)} checked={v.scopes.includes(n)} />
                <label for={id}>
                  <code>{n}</code> <span class="hint">{SCOPES[n].description}</span>
                </label>
              </div>
            );
          })}
        </fieldset>
        <Input name="expires" label={KEY_LABELS.expires} hint="Optional; without one the key lasts until revoked" type="date" value={v.expires} error={p.errors.expires} />
        <div class="actions">
          <button type="submit">Create the key</button>
        </div>
      </PostForm>
    </section>
  );
}
