import type { Child } from "hono/jsx";
import { CSRF_FIELD } from "../csrf.ts";

/** Field name → message, for a form that came back with errors. */
export type FieldErrors = Record<string, string>;

export const fieldId = (name: string) => `f-${name}`;

/** The hidden CSRF field every POST form carries (`ctx.csrf`); the console refuses a POST without it. */
export function CsrfField(p: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={p.token} />;
}

/** A POST form with its CSRF field. */
export function PostForm(p: { action: string; csrf: string; class?: string; enctype?: "multipart/form-data"; children?: Child }) {
  return (
    <form method="post" action={p.action} class={p.class} enctype={p.enctype}>
      <CsrfField token={p.csrf} />
      {p.children}
    </form>
  );
}

/**
 * What went wrong, at the top of the form, each message a link to its field. Rendered first in
 * `main` so screen readers announce it (role=alert).
 */
/** The buttons of a GET filter form: apply, and clear (back to the unfiltered page). */
export function FilterActions(p: { clearHref: string }) {
  return (
    <div class="actions">
      <button type="submit">Filter</button>
      <a class="button secondary" href={p.clearHref}>
        Clear
      </a>
    </div>
  );
}

export function ErrorSummary(p: { errors: FieldErrors; labels?: Record<string, string> }) {
  const entries = Object.entries(p.errors);
  if (!entries.length) return null;
  return (
    <div class="summary" role="alert" aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">There {entries.length === 1 ? "is a problem" : `are ${entries.length} problems`}</h2>
      <ul>
        {entries.map(([name, message]) => (
          <li>
            <a href={`#${fieldId(name)}`}>{p.labels?.[name] ? `${p.labels[name]}: ${message}` : message}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

interface FieldProps {
  name: string;
  label: string;
  hint?: string;
  error?: string;
  required?: boolean;
}

/** Label, hint and error around a control, wired with ids and aria-describedby. */
function Field(p: FieldProps & { control: (aria: Record<string, string | undefined>) => Child }) {
  const id = fieldId(p.name);
  const described = [p.hint ? `${id}-hint` : "", p.error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={id}>{p.label}</label>
      {p.hint && (
        <span class="hint" id={`${id}-hint`}>
          {p.hint}
        </span>
      )}
      {p.error && (
        <span class="field-error" id={`${id}-error`}>
          {p.error}
        </span>
      )}
      {p.control({ id, "aria-describedby": described, "aria-invalid": p.error ? "true" : undefined })}
    </div>
  );
}

export function Input(p: FieldProps & { value?: string; type?: string; autocomplete?: string; maxlength?: number; inputmode?: "numeric" | "email" | "search" | "url" }) {
  return (
    <Field
      {...p}
      control={(aria) => (
        <input
          {...aria}
          name={p.name}
          type={p.type ?? "text"}
          value={p.value ?? ""}
          required={p.required}
          autocomplete={p.autocomplete}
          maxlength={p.maxlength}
          inputmode={p.inputmode}
        />
      )}
    />
  );
}

export function Select(p: FieldProps & { value?: string; options: Array<{ value: string; label: string }> }) {
  return (
    <Field
      {...p}
      control={(aria) => (
        <select {...aria} name={p.name} required={p.required}>
          {p.options.map((o) => (
            <option value={o.value} selected={o.value === (p.value ?? "")}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    />
  );
}

export function Textarea(p: FieldProps & { value?: string; rows?: number; maxlength?: number }) {
  return (
    <Field
      {...p}
      control={(aria) => (
        <textarea {...aria} name={p.name} rows={p.rows ?? 6} required={p.required} maxlength={p.maxlength}>
          {p.value ?? ""}
        </textarea>
      )}
    />
  );
}
