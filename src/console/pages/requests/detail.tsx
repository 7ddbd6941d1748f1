import { ApiError } from "../../../errors.ts";
import { principalOf } from "../../../middleware/auth.ts";
import { SUBMITTERS, cancelRequestAs, describeRequest, isFinal, mayCancel, visibleRequest } from "../../../requests/requests.ts";
import { getResponse } from "../../../requests/responses.ts";
import { definePage, type PageContext } from "../../page.ts";
import { ConfirmForm } from "../../components/confirm.tsx";
import { Time } from "../../components/time.tsx";
import { Block, EstimateNote, Outcome, StatusTag, TimelineTable, pretty } from "./parts.tsx";

const LIST = "/console/requests";

/** The request id in the path, bounded as the API's RequestIdParam (a longer one names no request). */
function idOf(ctx: PageContext): string {
  const id = ctx.c.req.param("id") ?? "";
  if (!id || id.length > 64) throw new ApiError("not_found", { detail: "no such request" });
  return id;
}

/**
 * One request (the same access as GET /v1/requests/{id}: a user's own, else "not found"): what
 * happened to it, the answer or rejection once it arrived, while pending the estimate, and cancel.
 */
export const requestDetailPage = definePage({
  path: `${LIST}/:id`,
  title: "Request",
  roles: SUBMITTERS,
  networks: ["request"],
  async get(ctx) {
    const p = principalOf(ctx.c);
    const row = await visibleRequest(ctx.s, p, idOf(ctx));
    const [r, response] = await Promise.all([describeRequest(ctx.s, row), getResponse(ctx.s, row.id)]);
    const self = `${LIST}/${r.id}`;
    const pending = !isFinal(r.status);
    return ctx.render(
      <>
        <dl class="facts">
          <dt>Topic</dt>
          <dd>{r.topic}</dd>
          <dt>Status</dt>
          <dd>
            <StatusTag status={r.status} />
          </dd>
          <dt>Priority</dt>
          <dd>{r.priority}</dd>
          <dt>Submitted</dt>
          <dd>
            <Time at={r.created_at} now={ctx.now} />
          </dd>
          {r.cancelled_at && (
            <>
              <dt>Cancelled</dt>
              <dd>
                <Time at={r.cancelled_at} now={ctx.now} />
              </dd>
            </>
          )}
          <dt>Id</dt>
          <dd>
            <code>{r.id}</code>
          </dd>
        </dl>
        <p class="actions">
          <a class="button secondary" href={self}>
            Refresh
          </a>
          <a href={LIST}>All my requests</a>
        </p>
        {response ? <Outcome response={response} now={ctx.now} /> : pending && <EstimateNote request={r} now={ctx.now} />}
        {r.status === "cancelled" && !response && <p class="note">You cancelled this request; it will not be answered.</p>}
        {pending && mayCancel(p, row) && (
          <ConfirmForm action={`${self}/cancel`} csrf={ctx.csrf} label="Cancel this request">
            <span class="hint">Possible until it is answered; the cancellation crosses the gap with the next batch.</span>
          </ConfirmForm>
        )}
        <h2>Timeline</h2>
        <TimelineTable timeline={r.timeline} now={ctx.now} self={ctx.s.config.networkId} />
        <h2>What you sent</h2>
        <Block label="The request body" text={pretty(r.body, true)} />
      </>,
      { title: `Request: ${r.topic}` },
    );
  },
  actions: {
    // The same service as POST /v1/requests/{id}/cancel: the same access and states.
    async cancel(ctx) {
      const id = idOf(ctx);
      const self = `${LIST}/${id}`;
      const row = await visibleRequest(ctx.s, principalOf(ctx.c), id);
      const ask = ctx.confirm({ question: `Cancel the request "${row.topic}"? It will not be answered.`, confirmLabel: "Yes, cancel it", cancelHref: self });
      if (ask) return ask;
      try {
        await cancelRequestAs(ctx.s, principalOf(ctx.c), id);
      } catch (e) {
        if (!(e instanceof ApiError) || e.code !== "request_not_cancellable") throw e;
        return ctx.redirect(self, { kind: "error", text: `This request can no longer be cancelled: ${e.options.detail ?? "it has an outcome"}.` });
      }
      return ctx.redirect(self, { kind: "ok", text: "Request cancelled." });
    },
  },
});
