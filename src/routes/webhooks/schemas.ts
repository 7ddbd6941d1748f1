import { z } from "@hono/zod-openapi";
import { EVENTS } from "../../webhooks/events.ts";
import { DEFAULT_OVERLAP_SECONDS, MAX_OVERLAP_SECONDS } from "../../webhooks/endpoints.ts";

export const WebhookIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "whk_01J0000000000000000000000" }),
});
export const DeliveryIdParam = WebhookIdParam.extend({
  delivery_id: z
    .string()
    .max(64)
    .openapi({ param: { name: "delivery_id", in: "path" }, example: "msg_0123456789abcdef0123456789abcdef" }),
});

export const CreateWebhookSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, message: "expected an http(s):// URL" })
      .max(2000)
      // fetch refuses URLs with credentials; refusing them here says so at once.
      .refine((u) => !/^[a-z]+:\/\/[^/?#]*@/i.test(u), "a URL with a user name or password is not accepted")
      .openapi({ description: "Where deliveries are POSTed. On Node/Deno private, loopback and link-local targets are refused unless the administrator allows them." }),
    events: z
      .array(z.enum(EVENTS))
      .min(1)
      .max(EVENTS.length)
      .openapi({
        description: `The events wanted: ${EVENTS.map((e) => `\`${e}\``).join(", ")}. Alert events are for operators and admins (anyone else: 403); on the response network request events are refused (400).`,
      }),
    include_answer: z.boolean().default(false).openapi({ description: "request.answered carries the answer itself (off: the receiver fetches it with its own credentials)" }),
  })
  .strict()
  .openapi("CreateWebhook");

export const UpdateWebhookSchema = z
  .object({
    url: CreateWebhookSchema.shape.url.optional(),
    events: CreateWebhookSchema.shape.events.optional(),
    include_answer: z.boolean().optional(),
    enabled: z.literal(true).optional().openapi({ description: "Re-enable a disabled endpoint (events while it was disabled were not queued for it; redeliver what it missed)" }),
  })
  .strict()
  .openapi("UpdateWebhook");

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(EVENTS)),
    include_answer: z.boolean(),
    status: z.enum(["active", "disabled"]),
    disabled_reason: z.string().nullable().openapi({ description: "Why the endpoint was disabled (410 Gone, or persistent failure)" }),
    disabled_at: z.string().nullable(),
    previous_secret_expires_at: z.string().nullable().openapi({ description: "While a rotation overlaps: until when the previous secret signs too" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Webhook");

export const RotateSecretSchema = z
  .object({
    overlap_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_OVERLAP_SECONDS)
      .default(DEFAULT_OVERLAP_SECONDS)
      .openapi({ description: "How long the previous secret keeps signing too (two signatures per attempt); 0 ends it at once" }),
  })
  .strict()
  .openapi("RotateWebhookSecret");

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().openapi({ description: "The signing secret (whsec_…); shown only in this response" }),
}).openapi("CreatedWebhook");

export const WebhookListSchema = z.object({ items: z.array(WebhookSchema), next_cursor: z.string().nullable() }).openapi("WebhookList");

export const DeliverySchema = z
  .object({
    id: z.string().openapi({ description: "The webhook-id every attempt of this message carries" }),
    event: z.enum(EVENTS),
    request_id: z.string().nullable(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_status: z.number().int().nullable().openapi({ description: "The receiver's last HTTP status (null: no answer)" }),
    last_error: z.string().nullable(),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi("WebhookDelivery");
