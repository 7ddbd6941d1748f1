import { ApiError } from "../../../errors.ts";
import { answerText, type AnswerInput } from "../../../requests/answers.ts";
import type { RequestRow, ResponseRow } from "../../../requests/records.ts";
import { isJsonType } from "../../../requests/responses.ts";
import type { Services } from "../../../services.ts";
import { AnswerSchema, RejectSchema } from "../../../routes/requests/schemas.ts";
import { bounded } from "../../../lib/text.ts";
import { formatTime } from "../../format.ts";
import type { FieldErrors } from "../../components/form.tsx";

/** Who holds a live claim on a request ("you", someone, the processor), or that nobody does. */
export function ClaimState(p: { r: RequestRow; now: Date; me: string; emails?: Map<string, string> }) {
  const { r } = p;
  const live = r.claimedBy && r.claimExpiresAt && r.claimExpiresAt > p.now.toISOString();
  if (!live) return <span>Unclaimed</span>;
  const who = r.claimedBy === p.me ? "you" : r.claimedBy === "processor" ? "the processor" : (p.emails?.get(r.claimedBy!) ?? r.claimedBy);
  return <span>{`Claimed by ${who} until ${formatTime(r.claimExpiresAt!)}`}</span>;
}

/** Stored JSON text shown indented (as it was stored if it is somehow not JSON). */
export function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** An answer or a request body as the requester will read it: JSON indented, text as is. */
export function Body(p: { text: string | null; contentType: string | null; label: string }) {
  return (
    // Long bodies scroll: the region takes keyboard focus, as tables do.
    <section class="body" tabindex={0} aria-label={p.label}>
      <pre>{p.text === null ? "" : isJsonType(p.contentType) ? pretty(p.text) : p.text}</pre>
    </section>
  );
}

/** A stored response: what it is, when, by whom, and its content. */
export function ResponseView(p: { response: ResponseRow; by: string; heading: string }) {
  const r = p.response;
  return (
    <div class="response">
      <h3>{p.heading}</h3>
      <p class="hint">
        {`${r.kind === "answer" ? "Answered" : "Rejected"} ${formatTime(r.answeredAt)} by ${p.by}`}
        {r.kind === "answer" ? ` · ${r.contentType ?? "application/json"}` : ""}
      </p>
      {r.kind === "answer" ? <Body text={r.body} contentType={r.contentType} label={`${p.heading}: content`} /> : <p>{`Reason: ${r.reason ?? ""}`}</p>}
    </div>
  );
}

export const FORMATS = [
  { value: "json", label: "JSON (application/json)" },
  { value: "text", label: "Text (text/plain; charset=utf-8)" },
];
const CONTENT_TYPES: Record<string, string> = { json: "application/json", text: "text/plain; charset=utf-8" };

export type ParsedAnswer = { ok: true; input: AnswerInput; text: string; contentType: string } | { ok: false; errors: FieldErrors };
const enc = new TextEncoder();

/**
 * The answer form as the API's answer (POST /v1/requests/:id/response) would take it: the same
 * schema and the same stored text (answerText), within the API's body limit. Never throws.
 */
export function parseAnswer(s: Services, format: string, raw: string): ParsedAnswer {
  const contentType = CONTENT_TYPES[format];
  if (!contentType) return { ok: false, errors: { format: "Pick JSON or text" } };
  if (!raw.trim()) return { ok: false, errors: { body: "Enter the answer" } };
  const max = s.config.maxBodyBytes;
  if (enc.encode(raw).length > max) return { ok: false, errors: { body: `The answer is larger than ${max} bytes` } };
  let body: unknown = raw;
  if (format === "json") {
    try {
      body = JSON.parse(raw);
    } catch (e) {
      return { ok: false, errors: { body: `This is not valid JSON: ${bounded((e as Error).message, 200)}` } };
    }
  }
  const parsed = AnswerSchema.safeParse({ body, content_type: contentType });
  if (!parsed.success) return { ok: false, errors: { body: bounded(parsed.error.issues[0]?.message ?? "Not a valid answer", 300) } };
  try {
    return { ok: true, input: parsed.data, ...answerText(parsed.data) };
  } catch (e) {
    if (e instanceof ApiError && e.code === "validation_failed") return { ok: false, errors: { body: bounded(e.options.detail ?? e.message, 300) } };
    throw e;
  }
}

/** The rejection's reason as POST /v1/requests/:id/reject takes it. */
export function parseReason(raw: string): { ok: true; reason: string } | { ok: false; errors: FieldErrors } {
  const parsed = RejectSchema.safeParse({ reason: raw });
  if (parsed.success) return { ok: true, reason: parsed.data.reason };
  const issue = parsed.error.issues[0];
  const message = issue?.code === "too_small" ? "Enter a reason" : issue?.code === "too_big" ? "At most 2000 characters" : (issue?.message ?? "Not a valid reason");
  return { ok: false, errors: { reason: message } };
}
