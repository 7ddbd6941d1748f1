import type { ApiError } from "../../../errors.ts";
import type { SubmitInput } from "../../../requests/requests.ts";
import { SubmitRequestSchema } from "../../../routes/requests/schemas.ts";
import { bounded } from "../../../lib/text.ts";
import { ErrorSummary, Input, PostForm, Select, Textarea, type FieldErrors } from "../../components/form.tsx";

export const SUBMIT_LABELS = { topic: "Topic", priority: "Priority", format: "The body is", body: "Body" };

/** What the form holds (as typed), and the idempotency key of this rendering of it. */
export interface SubmitValues {
  topic: string;
  priority: string;
  format: string;
  body: string;
  key: string;
}

export const emptySubmit = (): SubmitValues => ({ topic: "", priority: "0", format: "json", body: "", key: crypto.randomUUID() });

const PRIORITIES = Array.from({ length: 10 }, (_, i) => ({ value: String(i), label: i === 0 ? "0 (normal)" : i === 9 ? "9 (most urgent)" : String(i) }));
const FORMATS = [
  { value: "json", label: "JSON (any JSON value)" },
  { value: "text", label: "Text (sent as a JSON string)" },
];

/**
 * The form's fields as POST /v1/requests takes them, checked by the same schema (topic text and
 * length, priority 0–9, the JSON limits), or the fields that are wrong. `maxChars` bounds the
 * body's text before it is parsed: the API takes no larger body.
 */
export function parseSubmit(v: SubmitValues, maxChars: number): { input: SubmitInput } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  // Browsers send a textarea's line breaks as CRLF; the text typed had plain line breaks.
  let body: unknown = v.body.replace(/\r\n/g, "\n");
  if (v.format !== "json" && v.format !== "text") errors.format = "Pick JSON or text";
  else if (v.body.length > maxChars) errors.body = `At most ${maxChars} characters`;
  else if (v.format === "json") {
    if (!v.body.trim()) errors.body = "Enter a JSON value (or choose text)";
    else {
      try {
        body = JSON.parse(body as string);
      } catch (e) {
        errors.body = `Not valid JSON: ${bounded(e instanceof Error ? e.message : String(e), 200)}`;
      }
    }
  }
  const priority = /^\d$/.test(v.priority) ? Number(v.priority) : Number.NaN;
  const parsed = SubmitRequestSchema.safeParse({ topic: v.topic, body, priority });
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const name = String(i.path[0] ?? "body");
      const where = name === "body" && i.path.length > 1 ? ` (at ${i.path.slice(1).join("/")})` : "";
      errors[name] ??= name === "priority" ? "Pick a priority from 0 to 9" : name === "topic" ? topicMessage(i) : `${capitalised(i.message)}${where}`;
    }
  }
  if (Object.keys(errors).length || !parsed.success) return { errors };
  return { input: parsed.data };
}

/** An ApiError of submitRequest as field errors (the size limit names /body), or undefined when it is not about a field. */
export function fieldErrorsOf(e: ApiError): FieldErrors | undefined {
  const out: FieldErrors = {};
  for (const err of e.options.errors ?? []) {
    const name = err.pointer?.split("/")[1];
    if (name && name in SUBMIT_LABELS) out[name] ??= capitalised(err.detail);
  }
  return Object.keys(out).length ? out : undefined;
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const topicMessage = (i: { code: string; message: string }) =>
  i.code === "too_small" ? "Enter a topic" : i.code === "too_big" ? "At most 200 characters" : capitalised(i.message);

/** The submit form; its hidden key makes a second post of the same rendering replay the first (Idempotency-Key). */
export function SubmitForm(p: { action: string; csrf: string; values: SubmitValues; errors: FieldErrors; maxChars: number }) {
  const v = p.values;
  return (
    <section class="panel wide" aria-labelledby="submit-title">
      <h2 id="submit-title">Submit a request</h2>
      <ErrorSummary errors={p.errors} labels={SUBMIT_LABELS} />
      <PostForm action={p.action} csrf={p.csrf}>
        <input type="hidden" name="idempotency_key" value={v.key} />
        <Input
          name="topic"
          label={SUBMIT_LABELS.topic}
          hint="What it is about, one line (at most 200 characters)"
          value={v.topic}
          error={p.errors.topic}
          required
          maxlength={200}
        />
        <Select name="priority" label={SUBMIT_LABELS.priority} value={v.priority} error={p.errors.priority} options={PRIORITIES} />
        <Select name="format" label={SUBMIT_LABELS.format} value={v.format} error={p.errors.format} options={FORMATS} />
        <Textarea
          name="body"
          label={SUBMIT_LABELS.body}
          hint={`For example {"question": "…"} (at most ${p.maxChars} characters)`}
          value={v.body}
          error={p.errors.body}
          rows={8}
          maxlength={p.maxChars}
        />
        <div class="actions">
          <button type="submit">Submit the request</button>
        </div>
      </PostForm>
    </section>
  );
}
