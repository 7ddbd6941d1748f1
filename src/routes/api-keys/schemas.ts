import { z } from "@hono/zod-openapi";
import { SCOPES, SCOPE_NAMES } from "../../identity/scopes.ts";

export const ApiKeySchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The first characters of the key, for recognising it" }),
    scopes: z.array(z.string()),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    created_at: z.string(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({ key: z.string().openapi({ description: "The secret; shown only in this response" }) }).openapi("CreatedApiKey");

export const CreateApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z
      .array(z.enum(SCOPE_NAMES))
      .max(SCOPE_NAMES.length)
      .optional()
      .openapi({
        description: `What the key may do, within its owner's role. Empty or absent: the key may only identify itself (GET /v1/me). ${SCOPE_NAMES.map((n) => `\`${n}\`: ${SCOPES[n].description}`).join("; ")}.`,
      }),
    expires_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi("CreateApiKey");

export const ApiKeyIdParam = z.object({ id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }) });
