import { z } from "@hono/zod-openapi";
import { summaryShape } from "../../requests/schemas.ts";
import { MAX_MEDIA_TYPE_CHARS, parseMediaType } from "../../requests/responses.ts";
import { jsonValueSchema, textIssue } from "../../lib/json-limits.ts";

// Any JSON value within the JSON limits (docs/requests.md "Limits"), checked without recursion.
const anyJson = (description: string) => jsonValueSchema().openapi({ description });

/** Text an outsider controls: well-formed Unicode, no control characters (`line`: no line breaks either). */
const text = (min: number, max: number, o: { line?: boolean } = {}) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .superRefine((v, ctx) => {
      const issue = textIssue(v, o);
      if (issue) ctx.addIssue({ code: "custom", message: issue });
    });

export const RequestSummarySchema = z.object(summaryShape).openapi("RequestSummary");

export const SubmitRequestSchema = z
  .object({
    topic: text(1, 200, { line: true }).openapi({ description: "What the request is about (shown to operators and used to route it)" }),
    body: anyJson("Any JSON value, up to AIRLOCK_MAX_REQUEST_BODY_BYTES as JSON text"),
    priority: z.number().int().min(0).max(9).optional().openapi({ description: "0 (normal, default) to 9 (most urgent)" }),
  })
  .strict()
  .openapi("SubmitRequest");

export const TimelineEventSchema = z
  .object({
    status: z.string(),
    at: z.string(),
    network: z.string().openapi({ description: "The network where the transition happened" }),
    batch_sequence: z.number().int().nullable().openapi({ description: "The batch that carried the transition (null when it did not cross the gap)" }),
    detail: z.string().nullable(),
  })
  .openapi("TimelineEvent");

export const RequestSchema = z
  .object({
    ...summaryShape,
    api_key_id: z.string().nullable(),
    body: z.unknown(),
    timeline: z.array(TimelineEventSchema),
    estimated_answer_at: z.string().nullable().openapi({ description: "While pending: when the answer may arrive, from the observed cadence (see estimate)" }),
    estimate: z.object({ based_on: z.string(), sample_size: z.number().int(), median_seconds: z.number() }).nullable(),
    links: z.object({ self: z.string(), response: z.string() }),
  })
  .openapi("Request");

export const ResponseSchema = z
  .object({
    request_id: z.string(),
    kind: z.literal("answer"),
    content_type: z.string(),
    body: z.unknown().openapi({ description: "A JSON value for JSON content types, else the text" }),
    answered_at: z.string(),
    version: z.number().int(),
    delivered_sequence: z.number().int().nullable().openapi({ description: "The import sequence that delivered this version" }),
  })
  .openapi("Response");

export const AnswerSchema = z
  .object({
    body: anyJson("The answer: any JSON value for JSON content types (the default), a string otherwise"),
    content_type: z
      .string()
      .trim()
      .max(MAX_MEDIA_TYPE_CHARS)
      .refine((v) => parseMediaType(v) !== null, "expected a media type like application/json or text/plain; charset=utf-8")
      .optional(),
  })
  .strict()
  .openapi("Answer");

export const RejectSchema = z
  .object({ reason: text(1, 2000).openapi({ description: "Shown to the requester" }) })
  .strict()
  .openapi("Reject");

export const AnsweredSchema = z
  .object({
    request_id: z.string(),
    status: z.string(),
    kind: z.enum(["answer", "rejection"]),
    content_type: z.string().nullable(),
    reason: z.string().nullable(),
    answered_by: z.string().nullable(),
    answered_at: z.string(),
    version: z.number().int(),
  })
  .openapi("Answered");
