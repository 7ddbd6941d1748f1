import { createRoute, z } from "@hono/zod-openapi";
import type { App } from "../../http/router.ts";
import { problemResponses } from "../../errors.ts";
import { access } from "../../middleware/auth.ts";
import { verifyAuditChain } from "../../audit/audit.ts";

const ChainCheckSchema = z
  .object({ ok: z.boolean(), checked: z.number().int(), first_broken_seq: z.number().int().nullable(), reason: z.string().nullable() })
  .openapi("AuditChainCheck");

const route = createRoute({
  method: "get",
  path: "/v1/admin/audit/verify",
  operationId: "verifyAuditChain",
  tags: ["Audit"],
  summary: "Check the hash chain; reports the first broken link",
  ...access({ roles: ["admin"], scope: "audit:read" }),
  responses: { 200: { description: "Result", content: { "application/json": { schema: ChainCheckSchema } } }, ...problemResponses(401, 403) },
});

export function registerAuditVerify(app: App) {
  app.openapi(route, async (c) => c.json(await verifyAuditChain(c.get("services")), 200));
}
