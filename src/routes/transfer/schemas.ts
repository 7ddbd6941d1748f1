import { z } from "@hono/zod-openapi";
import { RECEIPT_OUTCOMES } from "../../transfer/import.ts";

export const ImportResultSchema = z
  .object({
    receipt_id: z.string(),
    id: z.string(),
    sequence: z.number().int().nullable(),
    outcome: z
      .enum(["applied", "replay", "held", "quarantined", "superseded", "queued"])
      .openapi({ description: "queued: stored while another import ran; the next run judges it" }),
    reason: z.string().optional(),
    dead_letters: z.number().int().optional().openapi({ description: "Records of an applied batch that were set aside (GET /v1/transfer/dead-letters)" }),
  })
  .openapi("ImportResult");

export const ReceiptOutcomeSchema = z.enum(RECEIPT_OUTCOMES);

export const DeadLetterSchema = z
  .object({
    id: z.string(),
    side: z.enum(["in", "out", "peer"]),
    batch_sequence: z.number().int().nullable(),
    kind: z.string(),
    record_id: z.string(),
    record_version: z.number().nullable(),
    schema_version: z.number().int().nullable(),
    reason: z.string(),
    status: z.enum(["open", "applied", "requeued"]),
    created_at: z.string(),
    resolved_at: z.string().nullable(),
    resolved_by: z.string().nullable(),
  })
  .openapi("DeadLetter");
