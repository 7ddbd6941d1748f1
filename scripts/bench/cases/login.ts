// A login (POST /v1/auth/token): PBKDF2-SHA256 at 100,000 iterations is meant to be expensive,
// so this shows what a login costs beside the ceiling. Logins are limited per address and per
// account; the bench raises those quotas by setting (AIRLOCK_RATE_LIMITS).
import type { Case } from "../lib/context.ts";
import { measureHttp } from "../lib/measure.ts";
import { airlockNode } from "./servers.ts";

export const login: Case = {
  id: "login",
  label: "Airlock login (POST /v1/auth/token), Node",
  uses: ["airlock-node"],
  async run(ctx) {
    const a = await airlockNode(ctx);
    const url = `${a.url}/v1/auth/token`;
    const headers = { "content-type": "application/json" };
    const body = JSON.stringify({ email: a.email, password: a.password });
    const probe = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(10_000) });
    const tokens = (await probe.json()) as { access_token?: string };
    if (probe.status !== 200 || typeof tokens.access_token !== "string") throw new Error(`login answered ${probe.status} ${JSON.stringify(tokens).slice(0, 200)}`);
    await measureHttp(ctx, { ...this, note: "PBKDF2-SHA256, 100,000 iterations per login" }, { url, method: "POST", headers, body }, a.child);
  },
};
