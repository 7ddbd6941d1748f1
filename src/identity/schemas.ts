import { z } from "@hono/zod-openapi";
import { ROLES } from "./roles.ts";

// The API shapes of users and API keys that more than one group of routes uses (admin, auth, api-keys).

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    status: z.enum(["active", "disabled"]),
    rate_limits: z.record(z.string(), z.unknown()).nullable(),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("User");
export type UserResponse = z.infer<typeof UserSchema>;

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

export const ApiKeyIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
