import { ApiError } from "../errors.ts";
import type { Principal, Role } from "./roles.ts";
import { ANY_KEY, SESSION_ONLY, describeScopeRule, type ScopeRule } from "./scopes.ts";

/** Who may call an operation: roles, what an API key needs, whether the courier token counts. */
export interface AccessPolicy {
  roles: readonly Role[];
  /**
   * What an API key needs here (src/identity/scopes.ts): a scope it must hold, ANY_KEY, or
   * SESSION_ONLY. Deny by default: a policy that names none refuses every key.
   */
  scope: ScopeRule;
  /** Whether the courier token is accepted (transfer routes only). */
  courierToken?: boolean;
  /** Whether the metrics token is accepted (GET /metrics only). */
  metricsToken?: boolean;
}

/** Whether `p` may do what `policy` guards: 401 without credentials, 403 for the wrong role, the courier token or a key without the scope. */
export function checkAccess(policy: AccessPolicy, p: Principal | undefined): void {
  if (!p) throw new ApiError("unauthorized", { detail: "send an access token or API key", headers: { "WWW-Authenticate": 'Bearer realm="airlock"' } });
  if (p.type === "courier" && !policy.courierToken) throw new ApiError("forbidden", { detail: "the courier token may only move batches" });
  if (p.type === "metrics") {
    if (!policy.metricsToken) throw new ApiError("forbidden", { detail: "the metrics token may only read GET /metrics" });
    return;
  }
  if (!policy.roles.includes(p.role)) throw new ApiError("forbidden", { detail: `this needs one of the roles: ${policy.roles.join(", ")}` });
  if (p.type === "api_key") {
    const rule: ScopeRule | undefined = policy.scope;
    if (rule === undefined || rule === SESSION_ONLY) throw new ApiError("forbidden", { detail: "API keys cannot do this; log in with your password" });
    if (rule !== ANY_KEY && !p.scopes.includes(rule)) throw new ApiError("forbidden", { detail: `this API key lacks the scope ${rule}` });
  }
}

/** The Access line of an operation's description. */
export function describeAccess(policy: AccessPolicy): string {
  const who = [...policy.roles, ...(policy.courierToken ? ["the courier token"] : []), ...(policy.metricsToken ? ["the metrics token"] : [])].join(", ");
  return `Access: ${who}; ${describeScopeRule(policy.scope)}.`;
}
