import { z } from "@hono/zod-openapi";

export const TokenPairSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Seconds until the access token expires" }),
    refresh_token: z.string(),
  })
  .openapi("TokenPair");
export type TokenPairResponse = z.infer<typeof TokenPairSchema>;
