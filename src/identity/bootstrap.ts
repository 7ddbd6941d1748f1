import { eq } from "drizzle-orm";
import { users } from "../../schema/index.ts";
import type { Services } from "../services.ts";
import { randomToken } from "../lib/crypto.ts";
import { createUser, findUserByEmail } from "./users.ts";

export interface GeneratedAdmin {
  email: string;
  password: string;
}

/**
 * The first admin, on the response network only (the replica gets its users in
 * batches). From AIRLOCK_ADMIN_EMAIL/PASSWORD, or in local development a
 * generated password handed to `remember` (printed once, kept under ./data).
 * Idempotent: an existing admin or account is never changed.
 */
export async function bootstrapAdmin(s: Services, remember?: (creds: GeneratedAdmin) => Promise<void>): Promise<"created" | "exists" | "skipped"> {
  if (s.config.role !== "response") return "skipped";
  const system = { actorType: "system" as const, details: { reason: "bootstrap" } };
  if (s.config.admin) {
    if (await findUserByEmail(s, s.config.admin.email)) return "exists";
    await createUser(s, { email: s.config.admin.email, name: "Administrator", role: "admin", password: s.config.admin.password }, system);
    return "created";
  }
  if (await s.db.orm.select({ id: users.id }).from(users).where(eq(users.role, "admin")).limit(1).get()) return "exists";
  if (!s.config.dev || !remember) {
    s.logger.log("warn", "no admin exists: set AIRLOCK_ADMIN_EMAIL and AIRLOCK_ADMIN_PASSWORD and restart");
    return "skipped";
  }
  const creds = { email: "admin@airlock.local", password: randomToken(18) };
  await createUser(s, { ...creds, name: "Administrator", role: "admin" }, system);
  await remember(creds);
  return "created";
}
