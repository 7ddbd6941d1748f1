import { z } from "zod";
import { and, eq, inArray, isNull, like, ne, sql, type SQL } from "drizzle-orm";
import { guard, isGuardFailure } from "../deps/db/guard.ts";
import { refreshTokens, users } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import type { Role } from "./roles.ts";
import { keyset, type Page, type PageRequest } from "../lib/pagination.ts";
import { ApiError } from "../errors.ts";
import { forgetPrincipals } from "./principal-cache.ts";
import { newId } from "../lib/ids.ts";
import { checkPasswordPolicy, hashPassword } from "./password.ts";
import { outboxInsert } from "../transfer/outbox.ts";
import { writeWithAudit, type AuditInput } from "../audit/audit.ts";
import type { Statement } from "../deps/db/database.ts";

export type UserRow = typeof users.$inferSelect;
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** The user as the API shows it: never the password hash. */
export function publicUser(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    status: u.status,
    rate_limits: u.rateLimits ? (JSON.parse(u.rateLimits) as Record<string, unknown>) : null,
    version: u.version,
    created_at: u.createdAt,
    updated_at: u.updatedAt,
  };
}

/** What travels to the replica: the whole row, password hash included, so users can log in there. */
export const userRecord = (u: UserRow) => ({ ...u });

/** Users are written only by the master. */
export function assertMaster(s: Services) {
  if (s.config.role !== "response") {
    throw new ApiError("owned_by_other_network", { detail: "users belong to the response network; change them there and they arrive here in the next batch" });
  }
}

function policyError(password: string, email: string) {
  const problems = checkPasswordPolicy(password, email);
  if (problems.length)
    throw new ApiError("validation_failed", { detail: "the password does not meet the policy", errors: problems.map((detail) => ({ pointer: "/password", detail })) });
}

export async function findUserByEmail(s: Services, email: string) {
  return s.db.orm
    .select()
    .from(users)
    .where(eq(users.emailNormalized, normalizeEmail(email)))
    .get();
}

export async function getUser(s: Services, id: string) {
  return s.db.orm.select().from(users).where(eq(users.id, id)).get();
}

/** E-mail addresses by user id, for showing who is who in a list (one query; unknown ids are left out). */
export async function emailsOf(s: Services, ids: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (!unique.length) return new Map();
  const rows = await s.db.orm.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, unique)).all();
  return new Map(rows.map((r) => [r.id, r.email]));
}

const OLDEST_FIRST = keyset<UserRow>([
  { name: "c", column: users.createdAt, order: "asc", cursor: z.string(), of: (u) => u.createdAt },
  { name: "i", column: users.id, order: "asc", cursor: z.string(), of: (u) => u.id },
]);

/** Users, oldest first; `email` is a case-insensitive prefix of the address. */
export function listUsers(s: Services, f: { role?: Role; status?: "active" | "disabled"; email?: string }, req: PageRequest): Promise<Page<UserRow>> {
  const where: Array<SQL | undefined> = [
    f.role ? eq(users.role, f.role) : undefined,
    f.status ? eq(users.status, f.status) : undefined,
    f.email ? like(users.emailNormalized, `${f.email.toLowerCase().replace(/[%_\\]/g, "\\$&")}%`) : undefined,
  ];
  return OLDEST_FIRST.list(req, (q) =>
    s.db.orm
      .select()
      .from(users)
      .where(and(...where, q.after))
      .orderBy(...q.orderBy)
      .limit(q.limit)
      .all(),
  );
}

/** Writes a user row (insert or full update) with its outbox record and audit entries, atomically. */
async function saveUser(s: Services, row: UserRow, isNew: boolean, auditEntries: AuditInput[], extra: Statement[] = []) {
  const writes: Statement[] = isNew
    ? [s.db.orm.insert(users).values(row)]
    : // Optimistic: the whole batch (change, outbox, audit) aborts if someone changed the row since we read it.
      [...guard(s.db, sql`exists (select 1 from users where id = ${row.id} and version = ${row.version - 1})`), s.db.orm.update(users).set(row).where(eq(users.id, row.id))];
  try {
    await writeWithAudit(s, auditEntries, [...writes, outboxInsert(s, "user", row.id, row.version, userRecord(row)), ...extra]);
    forgetPrincipals(s);
  } catch (e) {
    if (isGuardFailure(e)) throw new ApiError("conflict", { detail: "the user changed meanwhile; read it again and retry" });
    throw e;
  }
}

export async function createUser(s: Services, input: { email: string; name: string; role: Role; password: string }, auditBase: Omit<AuditInput, "action">): Promise<UserRow> {
  assertMaster(s);
  policyError(input.password, input.email);
  if (await findUserByEmail(s, input.email)) throw new ApiError("email_taken", { detail: "a user with this e-mail address exists" });
  const now = s.clock.now().toISOString();
  const row: UserRow = {
    id: newId("usr"),
    email: input.email.trim(),
    emailNormalized: normalizeEmail(input.email),
    name: input.name,
    role: input.role,
    status: "active",
    passwordHash: await hashPassword(input.password),
    rateLimits: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await saveUser(s, row, true, [{ ...auditBase, action: "user.create", targetType: "user", targetId: row.id, details: { role: row.role } }]);
  } catch (e) {
    if (/UNIQUE constraint failed: users\.email_normalized/.test(String((e as Error).message) + String((e as { cause?: Error }).cause?.message))) {
      throw new ApiError("email_taken", { detail: "a user with this e-mail address exists" });
    }
    throw e;
  }
  return row;
}

export interface UserPatch {
  name?: string;
  role?: Role;
  status?: "active" | "disabled";
  password?: string;
  rate_limits?: Record<string, unknown> | null;
}

async function activeAdminsOtherThan(s: Services, id: string) {
  return (
    await s.db.orm
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.status, "active"), ne(users.id, id)))
      .limit(1)
      .all()
  ).length;
}

export async function updateUser(s: Services, id: string, patch: UserPatch, auditBase: Omit<AuditInput, "action">): Promise<UserRow> {
  assertMaster(s);
  const current = await getUser(s, id);
  if (!current) throw new ApiError("not_found", { detail: `no user ${id}` });
  const losesAdmin = current.role === "admin" && current.status === "active" && ((patch.role && patch.role !== "admin") || patch.status === "disabled");
  if (losesAdmin && !(await activeAdminsOtherThan(s, id))) throw new ApiError("last_admin", { detail: "make another user an active admin first" });
  if (patch.password !== undefined) policyError(patch.password, current.email);

  const next: UserRow = {
    ...current,
    name: patch.name ?? current.name,
    role: patch.role ?? current.role,
    status: patch.status ?? current.status,
    passwordHash: patch.password !== undefined ? await hashPassword(patch.password) : current.passwordHash,
    rateLimits: patch.rate_limits === undefined ? current.rateLimits : patch.rate_limits === null ? null : JSON.stringify(patch.rate_limits),
    version: current.version + 1,
    updatedAt: s.clock.now().toISOString(),
  };
  const changed = (["name", "role", "status", "rateLimits"] as const).filter((k) => next[k] !== current[k]);
  if (patch.password !== undefined) changed.push("password" as never);
  const entries: AuditInput[] = [
    {
      ...auditBase,
      action: next.status === "disabled" && current.status !== "disabled" ? "user.disable" : patch.password !== undefined ? "user.password_reset" : "user.update",
      targetType: "user",
      targetId: id,
      details: { changed, ...(patch.role ? { role: { from: current.role, to: next.role } } : {}) },
    },
  ];
  // Disabling or resetting a password ends the user's sessions here; the replica ends them on import.
  const endSessions =
    next.status === "disabled" || patch.password !== undefined
      ? [
          s.db.orm
            .update(refreshTokens)
            .set({ revokedAt: next.updatedAt })
            .where(and(eq(refreshTokens.userId, id), isNull(refreshTokens.revokedAt))),
        ]
      : [];
  await saveUser(s, next, false, entries, endSessions);
  return next;
}

/** Rehash at login with current parameters (master only: the replica never writes users). */
export async function upgradePasswordHash(s: Services, user: UserRow, password: string) {
  if (s.config.role !== "response") return;
  const next: UserRow = { ...user, passwordHash: await hashPassword(password), version: user.version + 1, updatedAt: s.clock.now().toISOString() };
  await saveUser(s, next, false, [{ actorType: "system", action: "user.password_rehash", targetType: "user", targetId: user.id }]);
}
