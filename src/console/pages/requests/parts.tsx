import type { PublicRequest } from "../../../requests/requests.ts";
import type { ResponseRow } from "../../../requests/records.ts";
import { isJsonType, publicResponse } from "../../../requests/responses.ts";
import { Table } from "../../components/table.tsx";
import { Time } from "../../components/time.tsx";

/** A request's status, coloured by what it means for the requester (waiting, done, refused, withdrawn). */
export function StatusTag(p: { status: string }) {
  const tone = ["answered", "available", "response_updated"].includes(p.status) ? "done" : p.status === "rejected" ? "refused" : p.status === "cancelled" ? "withdrawn" : "waiting";
  return <span class={`tag tag-${tone}`}>{p.status}</span>;
}

/**
 * A value shown as text in a scrolling block that takes keyboard focus (readable at 360 px).
 * hono/jsx escapes the text, so an answer's markup is shown, never interpreted.
 */
export function Block(p: { label: string; text: string }) {
  return (
    // A scrolling region must be reachable by keyboard, hence the tabindex.
    <section class="block" aria-label={p.label} tabindex={0}>
      <pre>{p.text}</pre>
    </section>
  );
}

/** JSON pretty-printed (two spaces); a string as it is. */
export const pretty = (v: unknown, json: boolean) => (json ? JSON.stringify(v, null, 2) : String(v));

type Timeline = PublicRequest["timeline"];

/** Every transition the request went through, oldest first: where it happened and the batch that carried it. */
export function TimelineTable(p: { timeline: Timeline; now: Date; self: string }) {
  return (
    <Table
      caption="Timeline, oldest first"
      columns={[
        { label: "Status", cell: (e: Timeline[number]) => <StatusTag status={e.status} /> },
        { label: "When", cell: (e) => <Time at={e.at} now={p.now} /> },
        { label: "Where", cell: (e) => (e.network === p.self ? `here (${e.network})` : e.network) },
        { label: "Batch", cell: (e) => (e.batch_sequence === null ? "–" : `#${e.batch_sequence}`), numeric: true },
        { label: "Detail", cell: (e) => e.detail ?? "–" },
      ]}
      rows={p.timeline}
      empty="No events recorded yet."
    />
  );
}

/** While pending: when the answer may arrive, from the observed cadence (the API's estimated_answer_at), and what that is based on. */
export function EstimateNote(p: { request: PublicRequest; now: Date }) {
  const r = p.request;
  if (!r.estimate || !r.estimated_answer_at) {
    return <p class="note">No estimate yet: there are no answered requests to learn the link's cadence from, or this one has already waited longer than any of them.</p>;
  }
  return (
    <div class="note">
      <p>
        <strong>Answer expected around </strong>
        <Time at={r.estimated_answer_at} now={p.now} />.
      </p>
      <p class="hint">{`Median turnaround ${minutes(r.estimate.median_seconds)}; ${r.estimate.based_on}.`}</p>
    </div>
  );
}

function minutes(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The answer as the requester reads it (GET /v1/requests/{id}/response), or the rejection and its reason. */
export function Outcome(p: { response: ResponseRow; now: Date }) {
  const r = p.response;
  if (r.kind === "rejection") {
    return (
      <section class="outcome refused" aria-labelledby="outcome-title">
        <h2 id="outcome-title">Rejected</h2>
        <p>
          Rejected <Time at={r.answeredAt} now={p.now} />. The reason given:
        </p>
        <Block label="Reason for the rejection" text={r.reason ?? "No reason given."} />
      </section>
    );
  }
  const shown = publicResponse(r);
  return (
    <section class="outcome done" aria-labelledby="outcome-title">
      <h2 id="outcome-title">Answer</h2>
      <dl class="facts">
        <dt>Answered</dt>
        <dd>
          <Time at={r.answeredAt} now={p.now} />
        </dd>
        <dt>Content type</dt>
        <dd>
          <code>{shown.content_type}</code>
        </dd>
        <dt>Version</dt>
        <dd>{r.version > 1 ? `${r.version} (corrected after the first answer)` : "1"}</dd>
        <dt>Delivered by</dt>
        <dd>{r.deliveredSequence === null ? "–" : `batch #${r.deliveredSequence}`}</dd>
      </dl>
      <Block label="The answer" text={shown.body === null ? "(empty)" : pretty(shown.body, isJsonType(r.contentType))} />
    </section>
  );
}
