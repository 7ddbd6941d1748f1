import type { Family, Sample } from "../lib/metrics.ts";
import type { Services } from "../services.ts";
import { requestGauges } from "../requests/stats.ts";
import { transferStatus } from "../transfer/status.ts";
import { ALERT_NAMES } from "../alerts/store.ts";

const gauge = (name: string, help: string, samples: Sample[]): Family => ({ name, type: "gauge", help, samples });
const one = (value: number): Sample[] => [{ value }];

/**
 * The gauges read from the database on each scrape: the same link state GET /v1/transfer/status
 * answers, and the requests by status. Shared by every process, unlike the counters.
 */
export async function databaseGauges(s: Services): Promise<Family[]> {
  const [t, q] = await Promise.all([transferStatus(s), requestGauges(s)]);
  const nowS = s.clock.now().getTime() / 1000;
  const ageOf = (at: string | null) => (at ? Math.max(0, Math.round(nowS - Date.parse(at) / 1000)) : 0);
  const out = t.outgoing;
  const inc = t.incoming;
  const lag: Sample[] = [{ labels: { direction: "out" }, value: ageOf(out.oldest_unacknowledged_at) }];
  // Never imported: no sample (a fresh network has no lag to report yet).
  if (inc.seconds_since_last_import !== null) lag.push({ labels: { direction: "in" }, value: Math.max(0, inc.seconds_since_last_import) });
  return [
    gauge("airlock_info", "This network (always 1)", [{ labels: { role: s.config.role, network_id: s.config.networkId, peer_network_id: s.config.peerNetworkId }, value: 1 }]),
    gauge("airlock_transfer_backlog_records", "Records waiting for the next outgoing batch", one(out.backlog_records)),
    gauge("airlock_transfer_oldest_pending_record_age_seconds", "Age of the oldest record waiting for an outgoing batch (0: none)", one(ageOf(out.oldest_pending_at))),
    gauge("airlock_transfer_sequence", "Last batch sequence number, by direction and stage (out: exported, acknowledged; in: imported)", [
      { labels: { direction: "out", stage: "exported" }, value: out.last_exported },
      { labels: { direction: "out", stage: "acknowledged" }, value: out.last_acknowledged },
      { labels: { direction: "in", stage: "imported" }, value: inc.last_imported },
    ]),
    gauge("airlock_transfer_lag_seconds", "Lag per direction: out, age of the oldest unacknowledged batch (0: none); in, time since the last import", lag),
    gauge("airlock_transfer_unacknowledged_batches", "Outgoing batches with records the peer has not acknowledged", one(out.unacknowledged)),
    gauge("airlock_transfer_held_batches", "Incoming batches held, waiting for an earlier sequence", one(inc.held.length)),
    gauge("airlock_transfer_quarantined_batches", "Quarantined batches: in, the peer's batches set aside here; peer, ours the peer reported quarantining", [
      { labels: { side: "in" }, value: inc.quarantined },
      { labels: { side: "peer" }, value: out.quarantined_by_peer.length },
    ]),
    gauge("airlock_transfer_dead_letters", "Open dead letters: in, the peer's records set aside here; out, ours left out of batches; peer, ours the peer set aside", [
      { labels: { side: "in" }, value: inc.dead_letters },
      { labels: { side: "out" }, value: out.dead_letters },
      { labels: { side: "peer" }, value: out.peer_dead_letters },
    ]),
    gauge(
      "airlock_requests",
      "Requests on this network, by status",
      Object.entries(q.by_status).map(([status, value]) => ({ labels: { status }, value })),
    ),
    gauge("airlock_queue_depth", "Pending requests (submitted, exported, received or processing)", one(q.pending)),
    gauge("airlock_oldest_pending_request_age_seconds", "Age of the oldest pending request (0: none)", one(ageOf(q.oldest_pending_at))),
    gauge("airlock_processor_failing_requests", "Pending requests whose last processor call failed (response network)", one(q.processor_failing)),
    gauge(
      "airlock_alerts_active",
      "Airlock's own alerts (docs/alerts.md): 1 while firing, as of the alerts job's last run",
      ALERT_NAMES.map((alert) => ({ labels: { alert }, value: t.alerts.some((a) => a.name === alert) ? 1 : 0 })),
    ),
  ];
}
