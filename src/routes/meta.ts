import { createRoute, z } from "@hono/zod-openapi";
import { publicAccess, type App } from "../http/router.ts";
import { problemResponses } from "../errors.ts";
import { NAME, VERSION } from "../version.ts";
import { schemaVersion } from "../deps/db/database.ts";

export const MetaSchema = z
  .object({
    name: z.literal(NAME),
    version: z.string(),
    role: z.enum(["request", "response"]),
    network_id: z.string(),
    peer_network_id: z.string(),
    schema_version: z.string().nullable().openapi({ description: "Newest applied migration" }),
    runtime: z.enum(["workerd", "node", "deno"]),
  })
  .openapi("Meta");
export type MetaResponse = z.infer<typeof MetaSchema>;

const route = createRoute({
  method: "get",
  path: "/v1/meta",
  operationId: "getMeta",
  ...publicAccess(),
  tags: ["Operations"],
  summary: "What this server is",
  responses: { 200: { description: "Server identity", content: { "application/json": { schema: MetaSchema } } }, ...problemResponses(401) },
});

export function registerMeta(app: App) {
  app.openapi(route, async (c) => {
    const s = c.get("services");
    return c.json(
      {
        name: NAME,
        version: VERSION,
        role: s.config.role,
        network_id: s.config.networkId,
        peer_network_id: s.config.peerNetworkId,
        schema_version: await schemaVersion(s.db),
        runtime: s.runtime.name,
      },
      200,
    );
  });
}
