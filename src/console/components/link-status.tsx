import type { transferStatus } from "../../transfer/status.ts";
import type { ActiveAlert } from "../../alerts/store.ts";
import { bounded } from "../../lib/text.ts";
import { relativeAge } from "../format.ts";
import { Time } from "./time.tsx";

type Status = Awaited<ReturnType<typeof transferStatus>>;

const seq = (n: number) => (n ? `#${n}` : "none yet");
/** `2 h 5 min`: a length of time, in the console's units. */
const duration = (seconds: number) => (seconds < 1 ? "0 s" : relativeAge(new Date(0).toISOString(), new Date(seconds * 1000)).replace(/ ago$/, ""));

/** The alerts firing as of the alerts job's last run, first on a page; a calm line when none is. */
export function FiringAlerts(p: { alerts: ActiveAlert[]; now: Date }) {
  if (!p.alerts.length) return <p class="calm">No alert is firing.</p>;
  return (
    <section class="alerts" aria-labelledby="alerts-title">
      <h2 id="alerts-title">
        {p.alerts.length} alert{p.alerts.length === 1 ? "" : "s"} firing
      </h2>
      <ul>
        {p.alerts.map((a) => (
          <li>
            <strong>{a.name.replaceAll("_", " ")}</strong> since <Time at={a.since} now={p.now} /> <code>{bounded(JSON.stringify(a.details), 300)}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * Per direction of the link: what left and was acknowledged, what arrived and when, and what
 * waits (held batches, gaps, quarantined files, dead letters). The time since the last import is
 * marked late by transferStatus's own heartbeat rule, in words as well as colour.
 */
export function LinkStatus(p: { status: Status; now: Date }) {
  const { outgoing: out, incoming: inc, peer } = p.status;
  const late = peer.late === true;
  return (
    <div class="link">
      <section class="card" aria-labelledby="link-out">
        <h3 id="link-out">
          Outgoing: {p.status.network_id} → {p.status.peer_network_id}
        </h3>
        <dl class="facts">
          <dt>Last exported</dt>
          <dd>
            {seq(out.last_exported)} <Time at={out.last_exported_at} now={p.now} />
          </dd>
          <dt>Last acknowledged</dt>
          <dd>{seq(out.last_acknowledged)}</dd>
          <dt>Unacknowledged</dt>
          <dd class={out.flagged.length ? "warn" : undefined}>
            {out.unacknowledged}{" "}
            {out.oldest_unacknowledged_at && (
              <>
                (oldest <Time at={out.oldest_unacknowledged_at} now={p.now} />)
              </>
            )}
            {out.flagged.length > 0 && ` — ${out.flagged.length} past the acknowledgement warning`}
          </dd>
          <dt>Waiting to be exported</dt>
          <dd>{out.backlog_records} records</dd>
          <dt>Quarantined by the peer</dt>
          <dd class={out.quarantined_by_peer.length ? "warn" : undefined}>
            {out.quarantined_by_peer.length ? out.quarantined_by_peer.map((b) => `#${b.sequence}: ${bounded(b.reason ?? "", 200)}`).join("; ") : "none"}
          </dd>
          <dt>Dead letters</dt>
          <dd class={out.dead_letters + out.peer_dead_letters ? "warn" : undefined}>
            {out.dead_letters} left out here, {out.peer_dead_letters} set aside by the peer
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="link-in">
        <h3 id="link-in">
          Incoming: {p.status.peer_network_id} → {p.status.network_id}
        </h3>
        <dl class="facts">
          <dt>Last imported</dt>
          <dd>
            {seq(inc.last_imported)} <Time at={inc.last_import_at} now={p.now} />
          </dd>
          <dt>Since the last import</dt>
          <dd class={late ? "late" : undefined} id="since-import">
            {inc.seconds_since_last_import === null ? "nothing imported yet" : duration(inc.seconds_since_last_import)}
            {late && <strong> — late: a batch or heartbeat was expected every {peer.heartbeat_minutes} min</strong>}
          </dd>
          <dt>Held batches</dt>
          <dd class={inc.held.length ? "warn" : undefined}>
            {inc.held.length ? inc.held.map((h) => `#${h.sequence}`).join(", ") : "none"}
            {inc.gaps.length > 0 && ` — missing ${inc.gaps.map((g) => (g.from === g.to ? `#${g.from}` : `#${g.from}–#${g.to}`)).join(", ")}`}
          </dd>
          <dt>Quarantined files</dt>
          <dd class={inc.quarantined ? "warn" : undefined}>{inc.quarantined}</dd>
          <dt>Dead letters</dt>
          <dd class={inc.dead_letters ? "warn" : undefined}>{inc.dead_letters} set aside here</dd>
          <dt>Peer runs</dt>
          <dd>{peer.release ? `${peer.release} (schema ${peer.schema_version ?? "?"}, batch format ${peer.batch_format ?? "?"})` : "unknown yet"}</dd>
        </dl>
      </section>
    </div>
  );
}
