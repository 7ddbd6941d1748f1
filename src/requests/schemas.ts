import { z } from "@hono/zod-openapi";
import { REQUEST_STATUSES } from "./records.ts";

// The API shapes of requests that more than one group of routes uses (requests and the operators' queue).

export const summaryShape = {
  id: z.string(),
  user_id: z.string(),
  topic: z.string(),
  priority: z.number().int(),
  status: z.enum(REQUEST_STATUSES),
  created_at: z.string(),
  updated_at: z.string(),
  cancelled_at: z.string().nullable(),
  answered_at: z.string().nullable(),
};

export const RequestIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const QueueItemSchema = z
  .object({
    ...summaryShape,
    body: z.unknown(),
    claimed_by: z.string().nullable(),
    claim_expires_at: z.string().nullable(),
    processor: z.object({
      attempts: z.number().int(),
      error: z.string().nullable(),
      next_attempt_at: z.string().nullable(),
    }),
  })
  .openapi("QueueItem");
