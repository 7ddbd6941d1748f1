// The identity records that cross the gap: users (master → replica), API keys (replica → master,
// without their hash) and revocations decided on the master.
import { z } from "zod";
import { ROLES } from "./roles.ts";
import type { RecordKind } from "../transfer/contract.ts";
import { applyApiKeyRevocations, applyApiKeys, applyUsers } from "./apply.ts";
import { forgetPrincipals } from "./principal-cache.ts";

const iso = z.string().max(40);
const id = z.string().min(1).max(64);

export const UserRecordSchema = z.object({
  id,
  email: z.string().max(320),
  emailNormalized: z.string().max(320),
  name: z.string().max(200),
  role: z.enum(ROLES),
  status: z.enum(["active", "disabled"]),
  passwordHash: z.string().min(1).max(512),
  rateLimits: z.string().max(4096).nullable(),
  version: z.number().int().positive(),
  createdAt: iso,
  updatedAt: iso,
});

export const ApiKeyRecordSchema = z.object({
  id,
  userId: id,
  name: z.string().max(100),
  prefix: z.string().max(32),
  scopes: z.string().max(1024),
  rateLimits: z.string().max(4096).nullable(),
  expiresAt: iso.nullable(),
  lastUsedAt: iso.nullable(),
  createdAt: iso,
  revokedAt: iso.nullable(),
  revokedBy: z.string().max(200).nullable(),
  version: z.number().int().positive(),
});

export const ApiKeyRevocationRecordSchema = z.object({ id, revoked_at: iso, revoked_by: z.string().max(200).nullable() });

type Row = Record<string, unknown>;
const byId = (d: Row) => d.id as string;

export const userKind: RecordKind<z.infer<typeof UserRecordSchema>> = {
  kind: "user",
  owner: "response",
  schemaVersion: 1,
  schema: UserRecordSchema,
  idOf: byId,
  apply: (s, rows, ctx) => applyUsers(s, rows, ctx.receivedAt),
  // Imported users (disabled, role changed, sessions ended) count from the next request here.
  afterApply: async (s) => forgetPrincipals(s),
};

export const apiKeyKind: RecordKind<z.infer<typeof ApiKeyRecordSchema>> = {
  kind: "api_key",
  owner: "request",
  schemaVersion: 1,
  schema: ApiKeyRecordSchema,
  idOf: byId,
  apply: (s, rows) => applyApiKeys(s, rows),
  afterApply: async (s) => forgetPrincipals(s),
};

export const apiKeyRevocationKind: RecordKind<z.infer<typeof ApiKeyRevocationRecordSchema>> = {
  kind: "api_key_revocation",
  owner: "response",
  schemaVersion: 1,
  schema: ApiKeyRevocationRecordSchema,
  idOf: byId,
  apply: (s, rows) => applyApiKeyRevocations(s, rows),
  afterApply: async (s) => forgetPrincipals(s),
};
