import type { MiddlewareHandler } from "hono";
import type { HonoEnv } from "../env.ts";
import { ApiError } from "../errors.ts";
import type { Principal } from "../identity/roles.ts";
import type { ScopeRule } from "../identity/scopes.ts";
import { checkAccess, describeAccess, type AccessPolicy } from "../identity/access.ts";
import { principalFor } from "../identity/principals.ts";

function credentialOf(req: Request): string | undefined {
  const auth = req.headers.get("authorization");
  if (auth !== null) {
    const m = auth.match(/^Bearer\s+(\S+)\s*$/i);
    if (!m) throw new ApiError("invalid_token", { detail: "Authorization must be 'Bearer <token>'", headers: { "WWW-Authenticate": 'Bearer error="invalid_request"' } });
    return m[1];
  }
  return req.headers.get("x-api-key") ?? undefined;
}

/** Reads credentials when present: valid ones set the principal, invalid ones end the request with 401. */
export function authenticate(): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const credential = credentialOf(c.req.raw);
    if (credential !== undefined) {
      const principal = await principalFor(c.get("services"), credential);
      c.set("principal", principal);
      Object.assign(c.get("logFields"), { user_id: principal.userId ?? undefined, auth: principal.type });
    }
    await next();
  };
}

/** Every route declares who may call it with this middleware. */
export function allow(policy: AccessPolicy): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    checkAccess(policy, c.get("principal"));
    await next();
  };
}

/**
 * What a route spreads into its createRoute config: the guard, and the same
 * policy in the OpenAPI document (security scheme and the roles), so the
 * document cannot drift from what is enforced.
 */
export function access(policy: AccessPolicy): {
  middleware: MiddlewareHandler<HonoEnv>[];
  security: Array<Record<string, string[]>>;
  description: string;
  "x-airlock-scope": ScopeRule;
} {
  return {
    middleware: [allow(policy)],
    security: [{ bearer: [] }],
    description: describeAccess(policy),
    "x-airlock-scope": policy.scope,
  };
}

/** The principal of a route guarded by `allow` (it is always set there). */
export function principalOf(c: { get(k: "principal"): Principal | undefined }): Principal {
  const p = c.get("principal");
  if (!p) throw new ApiError("unauthorized");
  return p;
}
