import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { actorOf } from "../../audit/audit.ts";
import { WINDOWS } from "../../limits/policy.ts";
import { rateLimitStatus, resetRateLimits } from "../../limits/status.ts";

const WindowUse = z.object({
  window: z.enum(WINDOWS),
  limit: z.number().int(),
  window_seconds: z.number().int(),
  source: z.enum(["role_default", "user_override", "key_override"]).openapi({ description: "Where the limit comes from" }),
  used: z.number().int().openapi({ description: "Requests counted in the sliding window now" }),
  remaining: z.number().int(),
  resets_at: z.string().openapi({ description: "End of the current bucket (the sliding window keeps weighing it after that)" }),
});

export const RateLimitStatusSchema = z
  .object({
    user_id: z.string(),
    role: z.string(),
    identity: z.string(),
    windows: z.array(WindowUse),
    api_keys: z.array(z.object({ id: z.string(), identity: z.string(), windows: z.array(WindowUse) })).openapi({ description: "The user's keys that have a quota of their own" }),
    lockout: z.object({ locked: z.boolean(), until: z.string().nullable(), level: z.number().int().nullable() }),
    limiter: z.object({
      backend: z.enum(["memory", "upstash"]),
      on_error: z.enum(["open", "closed"]),
      login_on_error: z.enum(["open", "closed"]),
      counters: z
        .object({
          errors: z.number().int(),
          timeouts: z.number().int(),
          failed_open: z.number().int(),
          failed_closed: z.number().int(),
          last_error: z.string().nullable(),
          last_error_at: z.string().nullable(),
        })
        .openapi({ description: "Backend failures since this process (or isolate) started" }),
    }),
  })
  .openapi("RateLimitStatus");
export type RateLimitStatusResponse = z.infer<typeof RateLimitStatusSchema>;

const Params = z.object({
  userId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "userId", in: "path" } }),
});

const getRoute = createRoute({
  method: "get",
  path: "/v1/admin/rate-limits/{userId}",
  operationId: "getRateLimits",
  tags: ["Rate limits"],
  summary: "A user's rate-limit policy, its source, and current use per window",
  ...access({ roles: ["admin"], scope: "rate-limits:read" }),
  request: { params: Params },
  responses: {
    200: { description: "Policy and use", content: { "application/json": { schema: RateLimitStatusSchema } } },
    ...problemResponses(401, 403, 404, 429, 503),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/v1/admin/rate-limits/{userId}",
  operationId: "resetRateLimits",
  tags: ["Rate limits"],
  summary: "Reset a user's counters (and their keys' own), failed logins and any login lockout (audited)",
  ...access({ roles: ["admin"], scope: "rate-limits:write" }),
  request: { params: Params },
  responses: { 204: { description: "Reset" }, ...problemResponses(401, 403, 404, 429, 503) },
});

export function registerAdminRateLimits(app: App) {
  app.openapi(getRoute, async (c) => c.json(await rateLimitStatus(c.get("services"), c.get("requestId"), c.req.valid("param").userId), 200));

  app.openapi(deleteRoute, async (c) => {
    await resetRateLimits(c.get("services"), c.get("requestId"), c.req.valid("param").userId, actorOf(c));
    return c.body(null, 204);
  });
}
