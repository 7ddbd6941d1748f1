import type { Child } from "hono/jsx";
import { CsrfField } from "./form.tsx";

/** The button that starts a destructive action; the action answers with the confirmation step (`ctx.confirm`) first. */
export function ConfirmForm(p: { action: string; csrf: string; label: string; fields?: Record<string, string>; children?: Child }) {
  return (
    <form method="post" action={p.action} class="actions">
      <CsrfField token={p.csrf} />
      {Object.entries(p.fields ?? {}).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      {p.children}
      <button type="submit" class="danger">
        {p.label}
      </button>
    </form>
  );
}

export const CONFIRM_FIELD = "confirmed";

/** The confirmation step without JavaScript: the same form again with `confirmed=yes`, and a way back. */
export function ConfirmStep(p: { action: string; csrf: string; question: string; confirmLabel: string; cancelHref: string; fields: Record<string, string> }) {
  return (
    <div class="confirm">
      <p>
        <strong>{p.question}</strong>
      </p>
      <form method="post" action={p.action} class="actions">
        <CsrfField token={p.csrf} />
        {Object.entries(p.fields).map(([k, v]) => (
          <input type="hidden" name={k} value={v} />
        ))}
        <input type="hidden" name={CONFIRM_FIELD} value="yes" />
        <button type="submit" class="danger">
          {p.confirmLabel}
        </button>
        <a class="button secondary" href={p.cancelHref}>
          Cancel
        </a>
      </form>
    </div>
  );
}
