import { ApiError } from "../../../errors.ts";
import { actorOf } from "../../../audit/audit.ts";
import { ANSWERERS, answerRequest, answerableRequest, answererOf, claimRequest, rejectRequest } from "../../../requests/answers.ts";
import type { RequestRow, ResponseRow } from "../../../requests/records.ts";
import { getResponse } from "../../../requests/responses.ts";
import { timelineOf } from "../../../requests/requests.ts";
import { emailsOf } from "../../../identity/users.ts";
import { definePage, type PageContext } from "../../page.ts";
import { ErrorSummary, PostForm, Select, Textarea, type FieldErrors } from "../../components/form.tsx";
import { Table } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";
import { Body, ClaimState, FORMATS, ResponseView, parseAnswer, parseReason, type ParsedAnswer } from "./parts.tsx";

const PATH = "/console/queue/:id";
const LABELS = { format: "Format", body: "Answer text", reason: "Reason" };
const OPEN = ["received", "processing"];
/** What the services refuse for reasons of state (someone else's claim, already final, changed meanwhile): a message on the page, not an error page. */
const STATE_CODES = ["request_claimed", "request_not_answerable", "conflict"];

const hrefOf = (id: string) => `/console/queue/${encodeURIComponent(id)}`;

interface View {
  errors?: FieldErrors;
  values?: { format?: string; body?: string; reason?: string };
  preview?: Extract<ParsedAnswer, { ok: true }>;
}

async function load(ctx: PageContext) {
  const r = await answerableRequest(ctx.s, ctx.c.req.param("id") ?? "");
  const [timeline, response] = await Promise.all([timelineOf(ctx.s, r.id), getResponse(ctx.s, r.id)]);
  const emails = await emailsOf(ctx.s, [r.userId, r.claimedBy ?? "", response?.answeredBy ?? ""]);
  return { r, timeline, response, emails };
}

function Preview(p: { ctx: PageContext; r: RequestRow; previous?: ResponseRow; by: string; preview: Extract<ParsedAnswer, { ok: true }>; format: string }) {
  const version = (p.previous?.version ?? 0) + 1;
  const correction = p.previous?.kind === "answer" && p.r.status === "answered";
  return (
    <section class="preview" aria-labelledby="h-preview">
      <h2 id="h-preview">{correction ? "Preview of the correction" : "Preview of the answer"}</h2>
      <p>{`This is what the requester will receive: ${p.preview.contentType}, ${p.preview.text.length} characters, version ${version}.`}</p>
      <div class={correction ? "compare" : undefined}>
        {correction && <ResponseView response={p.previous!} by={p.by} heading={`Previous version (version ${p.previous!.version})`} />}
        <div class="response">
          <h3>{correction ? `New version (version ${version})` : "The answer"}</h3>
          <Body text={p.preview.text} contentType={p.preview.contentType} label="The answer to send" />
        </div>
      </div>
      <PostForm action={`${hrefOf(p.r.id)}/answer`} csrf={p.ctx.csrf} class="actions">
        <input type="hidden" name="format" value={p.format} />
        <input type="hidden" name="body" value={p.ctx.field("body")} />
        <button type="submit">{correction ? "Send the correction" : "Send the answer"}</button>
        <span class="hint">Or change it below and preview again.</span>
      </PostForm>
    </section>
  );
}

async function render(ctx: PageContext, view: View = {}, status: 200 | 400 = 200) {
  const { r, timeline, response, emails } = await load(ctx);
  const open = OPEN.includes(r.status);
  const correcting = r.status === "answered" && response?.kind === "answer";
  const by = response ? (emails.get(response.answeredBy ?? "") ?? response.answeredBy ?? "the processor") : "";
  const errors = view.errors ?? {};
  const href = hrefOf(r.id);
  return ctx.render(
    <>
      <ErrorSummary errors={errors} labels={LABELS} />
      <p>
        <a href="/console/queue">Back to the queue</a>
      </p>
      <dl class="facts">
        <dt>Topic</dt>
        <dd>{r.topic}</dd>
        <dt>Status</dt>
        <dd>{r.status}</dd>
        <dt>Priority</dt>
        <dd>{r.priority}</dd>
        <dt>Requester</dt>
        <dd>{emails.get(r.userId) ?? r.userId}</dd>
        <dt>Received</dt>
        <dd>
          <Time at={r.createdAt} now={ctx.now} />
        </dd>
        <dt>Claim</dt>
        <dd>
          <ClaimState r={r} now={ctx.now} me={ctx.user.id} emails={emails} />
        </dd>
        <dt>Processor</dt>
        <dd>{r.processorError ? `${r.processorAttempts} attempts; last error: ${r.processorError}` : `${r.processorAttempts} attempts`}</dd>
        <dt>Id</dt>
        <dd>
          <code>{r.id}</code>
        </dd>
      </dl>
      <h2>Request</h2>
      <Body text={r.body} contentType="application/json" label="The request body" />
      {view.preview && <Preview ctx={ctx} r={r} previous={response} by={by} preview={view.preview} format={view.values?.format ?? "json"} />}
      {response && <ResponseView response={response} by={by} heading={response.kind === "answer" ? `Current answer (version ${response.version})` : "Rejection"} />}
      {open && (
        <PostForm action={`${href}/claim`} csrf={ctx.csrf} class="actions">
          <button type="submit" class="secondary">
            {r.claimedBy === ctx.user.id ? "Renew my claim" : "Claim"}
          </button>
          <span class="hint">Other operators then leave it to you for a while.</span>
        </PostForm>
      )}
      {(open || correcting) && (
        <section aria-labelledby="h-answer">
          <h2 id="h-answer">{correcting ? "Correct the answer" : "Answer"}</h2>
          {correcting && <p class="hint">A correction replaces the current answer with a new version, delivered like the first.</p>}
          <PostForm action={`${href}/preview`} csrf={ctx.csrf}>
            <Select name="format" label={LABELS.format} value={view.values?.format ?? "json"} error={errors.format} options={FORMATS} />
            <Textarea
              name="body"
              label={LABELS.body}
              hint="JSON: any JSON value. Text: sent as written."
              value={view.values?.body}
              error={errors.body}
              rows={8}
              maxlength={ctx.s.config.maxBodyBytes}
              required
            />
            <div class="actions">
              <button type="submit">Preview</button>
            </div>
          </PostForm>
        </section>
      )}
      {open && (
        <section aria-labelledby="h-reject">
          <h2 id="h-reject">Reject</h2>
          <PostForm action={`${href}/reject`} csrf={ctx.csrf}>
            <Textarea
              name="reason"
              label={LABELS.reason}
              hint="Shown to the requester. At most 2000 characters."
              value={view.values?.reason}
              error={errors.reason}
              rows={3}
              maxlength={2000}
              required
            />
            <div class="actions">
              <button type="submit" class="danger">
                Reject
              </button>
            </div>
          </PostForm>
        </section>
      )}
      <Table
        caption="Timeline"
        columns={[
          { label: "Status", cell: (e) => e.status },
          { label: "When", cell: (e) => <Time at={e.at} now={ctx.now} /> },
          { label: "Network", cell: (e) => e.network },
          { label: "Batch", cell: (e) => e.batchSequence ?? "–", numeric: true },
          { label: "Detail", cell: (e) => e.detail ?? "–" },
        ]}
        rows={timeline}
        empty="No timeline events."
      />
    </>,
    { status, title: `Request: ${r.topic}` },
  );
}

/** A service's refusal for reasons of state, as a message on the request's page; anything else is an error page. */
function refused(ctx: PageContext, e: unknown) {
  if (e instanceof ApiError && STATE_CODES.includes(e.code))
    return ctx.redirect(hrefOf(ctx.c.req.param("id") ?? ""), { kind: "error", text: `Not done: ${e.options.detail ?? e.message}.` });
  throw e;
}

const actor = (ctx: PageContext) => answererOf(ctx.c.get("principal")!, actorOf(ctx.c));

/** One request of the queue: its body and timeline; claim, answer (preview first, then send), correct, reject. */
export const queueItemPage = definePage({
  path: PATH,
  title: "Request",
  roles: ANSWERERS,
  networks: ["response"],
  get: (ctx) => render(ctx),
  actions: {
    async claim(ctx) {
      const r = await answerableRequest(ctx.s, ctx.c.req.param("id") ?? "");
      try {
        const claimed = await claimRequest(ctx.s, r, actor(ctx));
        return ctx.redirect(hrefOf(r.id), { kind: "ok", text: `Claimed until ${claimed.claimExpiresAt}.` });
      } catch (e) {
        return refused(ctx, e);
      }
    },
    async preview(ctx) {
      const values = { format: ctx.field("format"), body: ctx.field("body") };
      const parsed = parseAnswer(ctx.s, values.format, values.body);
      return parsed.ok ? render(ctx, { values, preview: parsed }) : render(ctx, { values, errors: parsed.errors }, 400);
    },
    async answer(ctx) {
      const values = { format: ctx.field("format"), body: ctx.field("body") };
      const parsed = parseAnswer(ctx.s, values.format, values.body);
      if (!parsed.ok) return render(ctx, { values, errors: parsed.errors }, 400);
      const r = await answerableRequest(ctx.s, ctx.c.req.param("id") ?? "");
      try {
        const { response } = await answerRequest(ctx.s, r, actor(ctx), parsed.input);
        const what = response.version > 1 ? `Correction sent (version ${response.version})` : "Answer sent";
        return ctx.redirect(hrefOf(r.id), { kind: "ok", text: `${what}; it leaves with the next batch.` });
      } catch (e) {
        return refused(ctx, e);
      }
    },
    async reject(ctx) {
      const values = { reason: ctx.field("reason") };
      const parsed = parseReason(values.reason);
      if (!parsed.ok) return render(ctx, { values, errors: parsed.errors }, 400);
      const id = ctx.c.req.param("id") ?? "";
      const ask = ctx.confirm({ question: `Reject this request? The requester will read: “${parsed.reason}”`, confirmLabel: "Yes, reject it", cancelHref: hrefOf(id) });
      if (ask) return ask;
      const r = await answerableRequest(ctx.s, id);
      try {
        await rejectRequest(ctx.s, r, actor(ctx), parsed.reason);
        return ctx.redirect(hrefOf(r.id), { kind: "ok", text: "Request rejected; the reason leaves with the next batch." });
      } catch (e) {
        return refused(ctx, e);
      }
    },
  },
});
