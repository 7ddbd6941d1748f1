import { sql } from "drizzle-orm";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { jsonChunks, tupleChunks } from "../lib/chunks.ts";

// Set-based appliers: each chunk of records is ONE bound JSON parameter,
// unpacked with json_each, so a whole batch fits in one atomic db.batch on D1
// and libSQL alike. Applying an older or equal version is a no-op.

const j = (path: string) => sql.raw(`json_extract(value, '$.${path}')`);

/** A user record's fields in the order applyUsers writes them (one JSON array per user). */
const USER_FIELDS = ["id", "email", "emailNormalized", "name", "role", "status", "passwordHash", "rateLimits", "version", "createdAt", "updatedAt"] as const;
const u = (field: (typeof USER_FIELDS)[number]) => sql.raw(`json_extract(value, '$[${USER_FIELDS.indexOf(field)}]')`);

/** What the session check reads of a user record: id, version, status, password hash. */
const SESSION_FIELDS = ["id", "version", "status", "passwordHash"] as const;
const v = (field: (typeof SESSION_FIELDS)[number]) => sql.raw(`json_extract(value, '$[${SESSION_FIELDS.indexOf(field)}]')`);

type UserRow = { [K in (typeof USER_FIELDS)[number]]: unknown };

/**
 * Replica: users from the master. Sessions end when a newer version disables a stored user or
 * changes their password. Users arrive by the thousand, so each travels as an array (tupleChunks).
 * The session check runs first, over the records that can end a session at all: a version 1 is a
 * user's first and replaces nothing (versions start at 1), so a new user, and a whole first sync,
 * costs it nothing; it joins the stored users (refresh tokens are only issued to stored users, and
 * users are never deleted). Every record is checked against the stored row, before any upsert:
 * within a chunk that is what checking each chunk before its own upsert did, and across chunks it
 * ends every session that would have ended then (a change from an intermediate version is also a
 * change from the stored one, or the intermediate version was one) and, when versions arrive out
 * of order, possibly one more, never fewer.
 */
export function applyUsers(s: Services, rows: readonly UserRow[], now: string): Statement[] {
  const later = rows.filter((r) => typeof r.version !== "number" || r.version > 1);
  return [
    ...tupleChunks(later, SESSION_FIELDS).map((chunk) =>
      s.db.orm.run(sql`
        UPDATE refresh_tokens SET revoked_at = ${now}
        WHERE revoked_at IS NULL AND user_id IN (
          SELECT users.id FROM json_each(${chunk}) CROSS JOIN users
          WHERE users.id = ${v("id")} AND ${v("version")} > users.version
            AND (${v("status")} = 'disabled' OR ${v("passwordHash")} != users.password_hash)
        )`),
    ),
    ...tupleChunks(rows, USER_FIELDS).map((chunk) =>
      s.db.orm.run(sql`
        INSERT INTO users (id, email, email_normalized, name, role, status, password_hash, rate_limits, version, created_at, updated_at)
        SELECT ${sql.join(USER_FIELDS.map(u), sql`, `)}
        FROM json_each(${chunk}) WHERE true
        ON CONFLICT(id) DO UPDATE SET
          email = excluded.email, email_normalized = excluded.email_normalized, name = excluded.name, role = excluded.role,
          status = excluded.status, password_hash = excluded.password_hash, rate_limits = excluded.rate_limits,
          version = excluded.version, updated_at = excluded.updated_at
        WHERE excluded.version > users.version`),
    ),
  ];
}

/**
 * Master: API keys from the replica, for audit and revocation. The master never
 * sees a key's hash; a placeholder no key can match keeps the column unique.
 * Revocation is one-way: once revoked here, a newer version cannot un-revoke.
 */
export function applyApiKeys(s: Services, rows: readonly object[]): Statement[] {
  return jsonChunks(rows).map((chunk) =>
    s.db.orm.run(sql`
      INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, rate_limits, expires_at, last_used_at, created_at, revoked_at, revoked_by, version)
      SELECT ${j("id")}, ${j("userId")}, ${j("name")}, ${j("prefix")}, 'remote:' || ${j("id")}, ${j("scopes")}, ${j("rateLimits")},
             ${j("expiresAt")}, ${j("lastUsedAt")}, ${j("createdAt")}, ${j("revokedAt")}, ${j("revokedBy")}, ${j("version")}
      FROM json_each(${chunk}) WHERE true
      ON CONFLICT(id) DO UPDATE SET
        name = excluded.name, scopes = excluded.scopes, rate_limits = excluded.rate_limits, expires_at = excluded.expires_at,
        last_used_at = excluded.last_used_at,
        revoked_at = coalesce(api_keys.revoked_at, excluded.revoked_at),
        revoked_by = coalesce(api_keys.revoked_by, excluded.revoked_by),
        version = max(api_keys.version, excluded.version)
      WHERE excluded.version > api_keys.version`),
  );
}

/** Replica: revocations decided on the master. */
export function applyApiKeyRevocations(s: Services, rows: readonly object[]): Statement[] {
  return jsonChunks(rows).map((chunk) =>
    s.db.orm.run(sql`
      UPDATE api_keys SET
        revoked_at = (SELECT ${j("revoked_at")} FROM json_each(${chunk}) WHERE ${j("id")} = api_keys.id),
        revoked_by = (SELECT ${j("revoked_by")} FROM json_each(${chunk}) WHERE ${j("id")} = api_keys.id),
        version = version + 1
      WHERE revoked_at IS NULL AND id IN (SELECT ${j("id")} FROM json_each(${chunk}))`),
  );
}
