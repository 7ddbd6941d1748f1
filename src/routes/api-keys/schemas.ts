import { z } from "@hono/zod-openapi";
import { SCOPES, SCOPE_NAMES } from "../../identity/scopes.ts";
import { ApiKeySchema } from "../../identity/schemas.ts";

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
