// Submitting a request (POST /v1/requests) with a fresh Idempotency-Key each time, with
// X-API-Key, on Node with the memory cache and limiter.
import { randomUUID } from "node:crypto";
import type { Case } from "../lib/context.ts";
import { measureHttp } from "../lib/measure.ts";
import { airlockNode } from "./servers.ts";

const SUBMIT_BODY = JSON.stringify({ topic: "rainfall", body: { q: "quarterly totals", stations: ["ST-100", "ST-101"], from: "2026-01-01" } });

export const submit: Case = {
  id: "submit",
  label: "Airlock submit (POST /v1/requests, fresh Idempotency-Key), Node",
  uses: ["airlock-node"],
  async run(ctx) {
    const a = await airlockNode(ctx);
    const headers = { "x-api-key": a.apiKey, "content-type": "application/json" };
    const url = `${a.url}/v1/requests`;
    const probe = await fetch(url, { method: "POST", headers: { ...headers, "idempotency-key": randomUUID() }, body: SUBMIT_BODY, signal: AbortSignal.timeout(5_000) });
    const created = (await probe.json()) as { id?: string; status?: string };
    if (probe.status !== 202 || !created.id?.startsWith("req_") || created.status !== "submitted")
      throw new Error(`submit answered ${probe.status} ${JSON.stringify(created).slice(0, 200)}`);
    await measureHttp(ctx, this, { url, method: "POST", headers, body: SUBMIT_BODY, perRequest: () => ({ "idempotency-key": randomUUID() }) }, a.child);
  },
};
