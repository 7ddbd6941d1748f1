import type { AirlockApp } from "../../src/app.ts";
import type { Services } from "../../src/services.ts";
import { TEST_ENV } from "./node-app.ts";

export const COURIER = { authorization: `Bearer ${TEST_ENV.AIRLOCK_COURIER_TOKEN}` };
export type Net = { app: AirlockApp; services: Services };

export async function exportNow(n: Net, body: Record<string, unknown> = {}) {
  const res = await n.app.request("/v1/transfer/export", { method: "POST", headers: { ...COURIER, "content-type": "application/json" }, body: JSON.stringify(body) }, {});
  if (res.status !== 200) throw new Error(`export failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { exported: Array<{ id: string; sequence: number; records: number }>; resent: unknown[] };
}

/** The raw files of the batches a network lists as not yet acknowledged. */
export async function download(n: Net): Promise<Array<{ id: string; sequence: number; file: Uint8Array }>> {
  const list = (await (await n.app.request("/v1/transfer/outbox?limit=200", { headers: COURIER }, {})).json()) as { items: Array<{ id: string; sequence: number }> };
  const out = [];
  for (const b of list.items) {
    const res = await n.app.request(`/v1/transfer/outbox/${b.id}`, { headers: COURIER }, {});
    out.push({ id: b.id, sequence: b.sequence, file: new Uint8Array(await res.arrayBuffer()) });
  }
  return out;
}

export async function upload(n: Net, file: Uint8Array) {
  const res = await n.app.request(
    "/v1/transfer/inbox",
    { method: "POST", headers: { ...COURIER, "content-type": "application/octet-stream" }, body: file as Uint8Array<ArrayBuffer> },
    {},
  );
  return {
    status: res.status,
    body: (await res.json()) as { receipt_id: string; id: string; sequence: number | null; outcome: string; reason?: string; code?: string; dead_letters?: number },
  };
}

/** Export on `from`, carry every unacknowledged batch to `to`; returns the outcomes. */
export async function carry(from: Net, to: Net) {
  await exportNow(from);
  const outcomes = [];
  for (const b of await download(from)) outcomes.push((await upload(to, b.file)).body);
  return outcomes;
}

/** An open incoming dead letter as the importer writes one, for tests that need one to exist. */
export const openDeadLetter = (n: Net) => ({
  id: "dl_1",
  side: "in" as const,
  kind: "future_kind",
  recordId: "f1",
  reason: "unknown kind",
  status: "open" as const,
  createdAt: n.services.clock.now().toISOString(),
});
