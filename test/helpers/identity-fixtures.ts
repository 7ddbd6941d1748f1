import { SignJWT } from "jose";
import { users } from "../../schema/index.ts";
import type { Services } from "../../src/services.ts";
import type { Role } from "../../src/identity/roles.ts";
import { hashPassword } from "../../src/identity/password.ts";
import { newId } from "../../src/lib/ids.ts";
import { startSession } from "../../src/identity/sessions.ts";
import { base64url } from "../../src/lib/crypto.ts";

export const TEST_JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789";
export const PASSWORD = "correct horse battery staple";
let hashed: Promise<string> | undefined;

/** A user row written straight into the database (on the replica this is what an import does). */
export async function seedUser(s: Services, o: { role?: Role; status?: "active" | "disabled"; email?: string; name?: string } = {}) {
  hashed ??= hashPassword(PASSWORD, { iterations: 1000 }); // cheap hash for fixtures; login upgrades it
  const now = s.clock.now().toISOString();
  const email = o.email ?? `${o.role ?? "user"}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const row = {
    id: newId("usr"),
    email,
    emailNormalized: email.toLowerCase(),
    name: o.name ?? "Test User",
    role: o.role ?? "user",
    status: o.status ?? "active",
    passwordHash: await hashed,
    rateLimits: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  } satisfies typeof users.$inferInsert;
  await s.db.orm.insert(users).values(row);
  return row;
}

/** A user with a fresh session; `auth` is the Authorization header value. */
export async function seedSession(s: Services, o: Parameters<typeof seedUser>[1] = {}) {
  const user = await seedUser(s, o);
  const tokens = await startSession(s, user);
  return { user, tokens, auth: `Bearer ${tokens.access_token}` };
}

const enc = new TextEncoder();
const b64json = (v: unknown) => base64url(enc.encode(JSON.stringify(v)));

/** The right claims for `s`, as a different JOSE implementation would set them. */
export function claimsFor(s: Services, user: { id: string; role: string }, sid: string, nowSec = Math.floor(s.clock.now().getTime() / 1000)) {
  return { iss: s.config.networkId, aud: s.config.networkId, sub: user.id, role: user.role, sid, iat: nowSec, exp: nowSec + 600 };
}

/** HS256 with raw WebCrypto, not jose: proves the tokens are plain standard JWTs. */
export async function webCryptoJwt(payload: Record<string, unknown>, secret: string, kid: string): Promise<string> {
  const input = `${b64json({ alg: "HS256", typ: "JWT", kid })}.${b64json(payload)}`;
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(input)));
  return `${input}.${base64url(sig)}`;
}

/** The kid our tokens carry, read from a real one. */
export function kidOf(token: string): string {
  return JSON.parse(atob(token.split(".")[0].replace(/-/g, "+").replace(/_/g, "/"))).kid;
}

/** Every kind of bad bearer credential the matrix tries. */
export async function forgedTokens(s: Services, valid: string, user: { id: string; role: string }, sid: string) {
  const kid = kidOf(valid);
  const past = Math.floor(s.clock.now().getTime() / 1000) - 3600;
  const [h, p, sig] = valid.split(".");
  const payload = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
  return {
    malformed: "not-a-jwt",
    expired: await new SignJWT({ role: user.role, sid })
      .setProtectedHeader({ alg: "HS256", kid })
      .setIssuer(s.config.networkId)
      .setAudience(s.config.networkId)
      .setSubject(user.id)
      .setIssuedAt(past - 600)
      .setExpirationTime(past)
      .sign(enc.encode(TEST_JWT_SECRET)),
    otherKey: await webCryptoJwt(claimsFor(s, user, sid), "another-secret-0123456789abcdef-0123456789", kid),
    algNone: `${b64json({ alg: "none", typ: "JWT", kid })}.${p}.`,
    altered: `${h}.${b64json({ ...payload, role: payload.role === "admin" ? "user" : "admin", exp: payload.exp + 3600 })}.${sig}`,
  };
}

/** An API key row written straight into the database; returns the secret. */
export async function seedApiKey(s: Services, userId: string, o: { revoked?: boolean; expiresAt?: string; scopes?: string[] } = {}) {
  const { apiKeys } = await import("../../schema/index.ts");
  const { sha256Hex, randomToken } = await import("../../src/lib/crypto.ts");
  const key = `ak_${randomToken(32)}`;
  const now = s.clock.now().toISOString();
  const row = {
    id: newId("key"),
    userId,
    name: "fixture",
    prefix: key.slice(0, 11),
    keyHash: await sha256Hex(key),
    scopes: JSON.stringify(o.scopes ?? []),
    expiresAt: o.expiresAt ?? null,
    createdAt: now,
    revokedAt: o.revoked ? now : null,
  };
  await s.db.orm.insert(apiKeys).values(row);
  return { id: row.id, key };
}
