import type { Context } from "hono";
import type { HonoEnv } from "../env.ts";
import { actorOf } from "../audit/audit.ts";
import { LoginGuard } from "../limits/lockouts.ts";

/** The guard for this request: client IP and audit fields from the context. */
export function loginGuard(c: Context<HonoEnv>) {
  const s = c.get("services");
  const ip = s.runtime.clientIp(c);
  const g = new LoginGuard(s, { requestId: c.get("requestId"), audit: actorOf(c) });
  return {
    check: (email: string) => g.check(ip, email),
    checkRefresh: () => g.checkRefresh(ip),
    recordFailure: (email: string) => g.recordFailure(ip, email),
    recordSuccess: (email: string) => g.recordSuccess(ip, email),
  };
}
