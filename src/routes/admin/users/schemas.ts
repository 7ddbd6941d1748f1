import { z } from "@hono/zod-openapi";
import { ROLES } from "../../../identity/roles.ts";

const Limits = z.object({ minute: z.number().int().min(0).optional(), hour: z.number().int().min(0).optional(), day: z.number().int().min(0).optional() });

export const UserIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});

export const CreateUserSchema = z
  .object({
    email: z.email().max(320),
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES),
    password: z.string().max(1024),
  })
  .strict()
  .openapi("CreateUser");

export const UpdateUserSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    role: z.enum(ROLES).optional(),
    status: z.enum(["active", "disabled"]).optional(),
    password: z.string().max(1024).optional().openapi({ description: "Admin password reset; ends the user's sessions" }),
    rate_limits: z
      .record(z.enum(["default", "user", "operator", "courier", "admin"]), Limits)
      .or(Limits)
      .nullable()
      .optional()
      .openapi({ description: "Per-user quota override (per minute/hour/day); null removes it" }),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: "send at least one field to change" })
  .openapi("UpdateUser");
