import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, uniqueIndex, check } from "drizzle-orm/sqlite-core";

// One drizzle schema for D1 and libSQL. Times are ISO-8601 UTC text
// (sortable, readable in JSON and in the batch files).

/** One row per scheduled-job run, on both networks. */
export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    job: text("job").notNull(),
    trigger: text("trigger").notNull(), // "cron" | "manual" | "interval"
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    outcome: text("outcome").notNull(), // "running" | "ok" | "error" | "skipped"
    summary: text("summary"), // JSON
    error: text("error"),
  },
  (t) => [index("job_runs_job_started").on(t.job, t.startedAt)],
);

/**
 * Always empty. A statement inserts 0 here only when a precondition fails; the
 * CHECK then aborts the whole atomic batch (D1 has no interactive transactions,
 * so "update only if still version N" is expressed this way).
 */
export const batchGuard = sqliteTable("batch_guard", { ok: integer("ok").notNull() }, (t) => [check("batch_guard_failed", sql`${t.ok} = 1`)]);

/** Leases so a job still running (in any isolate or process) is not started again. */
export const jobLocks = sqliteTable("job_locks", {
  job: text("job").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: text("expires_at").notNull(),
});

// ─── Identity ────────────────────────────────────────────────────────────────
// Users are written only by the response network (the master) and travel to the
// replica in batches, password hashes included, so users can log in on both.

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    /** Lower-cased e-mail: uniqueness is case-insensitive. */
    emailNormalized: text("email_normalized").notNull().unique(),
    name: text("name").notNull(),
    role: text("role", { enum: ["admin", "operator", "courier", "user"] }).notNull(),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    passwordHash: text("password_hash").notNull(),
    /** Per-user rate-limit override (JSON), set by an admin on the master. */
    rateLimits: text("rate_limits"),
    /** Bumped on every change; the replica applies only newer versions. */
    version: integer("version").notNull().default(1),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("users_created").on(t.createdAt, t.id)],
);

/** Rotating refresh tokens; a family is one login. Local to each network, never synced. */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    familyId: text("family_id").notNull(),
    userId: text("user_id").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
    revokedAt: text("revoked_at"),
  },
  (t) => [index("refresh_tokens_family").on(t.familyId), index("refresh_tokens_user").on(t.userId)],
);

/** API keys: created on the request network by their owners; travel to the master for audit. Revocation goes both ways. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    name: text("name").notNull(),
    /** Display prefix, e.g. "ak_3fQ9x2Lm". */
    prefix: text("prefix").notNull(),
    /** SHA-256 (hex) of the whole key; the key itself is never stored. */
    keyHash: text("key_hash").notNull().unique(),
    scopes: text("scopes").notNull().default("[]"),
    /** Per-key rate-limit quota (JSON); null shares the owner's. */
    rateLimits: text("rate_limits"),
    expiresAt: text("expires_at"),
    lastUsedAt: text("last_used_at"),
    createdAt: text("created_at").notNull(),
    revokedAt: text("revoked_at"),
    revokedBy: text("revoked_by"),
    version: integer("version").notNull().default(1),
  },
  (t) => [index("api_keys_user").on(t.userId, t.createdAt)],
);

/** Hash-chained audit log, one per network. `seq` is explicit so two writers can't both extend the same link. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    seq: integer("seq").primaryKey(),
    id: text("id").notNull().unique(),
    at: text("at").notNull(),
    network: text("network").notNull(),
    actorType: text("actor_type").notNull(), // user | api_key | courier | system | anonymous
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    outcome: text("outcome").notNull().default("success"),
    requestId: text("request_id"),
    ip: text("ip"),
    details: text("details"), // JSON, secrets never
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [index("audit_action_at").on(t.action, t.at), index("audit_actor").on(t.actorId, t.at), index("audit_target").on(t.targetId)],
);

/** Audit entries received from the replica, kept with their own chain for verification. */
export const peerAuditLog = sqliteTable(
  "peer_audit_log",
  {
    network: text("network").notNull(),
    seq: integer("seq").notNull(),
    entry: text("entry").notNull(), // the entry as the peer wrote it (JSON)
    hash: text("hash").notNull(),
    prevHash: text("prev_hash").notNull(),
  },
  (t) => [uniqueIndex("peer_audit_pk").on(t.network, t.seq)],
);

// ─── Requests and responses ─────────────────────────────────────────────────
// A request's own fields (topic, body, cancellation) belong to the request
// network; its status after receipt belongs to the response network. Each side
// bumps its own version, so neither can overwrite the other.

export const requests = sqliteTable(
  "requests",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    apiKeyId: text("api_key_id"),
    topic: text("topic").notNull(),
    body: text("body").notNull(), // JSON
    priority: integer("priority").notNull().default(0),
    status: text("status", { enum: ["submitted", "exported", "received", "processing", "answered", "rejected", "cancelled"] }).notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    cancelledAt: text("cancelled_at"),
    /** Version of the request network's fields. */
    replicaVersion: integer("replica_version").notNull().default(1),
    /** Version of the response network's fields (status after receipt). */
    masterVersion: integer("master_version").notNull().default(0),
    answeredAt: text("answered_at"),
    // Response network only: who works on it, and the processor's progress.
    claimedBy: text("claimed_by"),
    claimExpiresAt: text("claim_expires_at"),
    processorAttempts: integer("processor_attempts").notNull().default(0),
    processorNextAt: text("processor_next_at"),
    processorError: text("processor_error"),
  },
  (t) => [
    index("requests_user_created").on(t.userId, t.createdAt, t.id),
    index("requests_status_created").on(t.status, t.createdAt, t.id),
    // Operators' and admins' lists (all users, newest first) and the statistics' answer latencies.
    index("requests_created").on(t.createdAt, t.id),
    index("requests_status_answered").on(t.status, t.answeredAt),
  ],
);

/** The timeline: every transition, when, and the batch that carried it. */
export const requestEvents = sqliteTable(
  "request_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    requestId: text("request_id").notNull(),
    status: text("status").notNull(),
    at: text("at").notNull(),
    network: text("network").notNull(),
    batchSequence: integer("batch_sequence"),
    detail: text("detail"),
  },
  (t) => [
    uniqueIndex("request_events_once").on(t.requestId, t.status, t.network),
    index("request_events_request").on(t.requestId, t.at),
    // The answer estimate and delivery latencies: recent "available" / "answered" events.
    index("request_events_status_at").on(t.status, t.at),
  ],
);

/** The answer or the rejection; written by the response network only. */
export const responses = sqliteTable("responses", {
  requestId: text("request_id").primaryKey(),
  kind: text("kind", { enum: ["answer", "rejection"] }).notNull(),
  body: text("body"),
  contentType: text("content_type"),
  reason: text("reason"),
  answeredBy: text("answered_by"),
  answeredAt: text("answered_at").notNull(),
  version: integer("version").notNull().default(1),
  /** On the request network: the import sequence that delivered this version (part of the cache key and ETag). */
  deliveredSequence: integer("delivered_sequence"),
});

/** Idempotency-Key records (IETF draft): one per user and key. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    userId: text("user_id").notNull(),
    key: text("key").notNull(),
    fingerprint: text("fingerprint").notNull(),
    state: text("state", { enum: ["in_flight", "done"] }).notNull(),
    statusCode: integer("status_code"),
    responseBody: text("response_body"),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [uniqueIndex("idempotency_pk").on(t.userId, t.key), index("idempotency_expires").on(t.expiresAt)],
);

/** Hourly snapshots of cache statistics. */
export const cacheStatsSnapshots = sqliteTable("cache_stats_snapshots", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  at: text("at").notNull(),
  stats: text("stats").notNull(), // JSON
});

// ─── Transfer ───────────────────────────────────────────────────────────────

/** Transactional outbox: written in the same atomic batch as the change it records. */
export const outbox = sqliteTable(
  "outbox",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    entityId: text("entity_id").notNull(),
    version: integer("version").notNull(),
    payload: text("payload").notNull(), // JSON
    createdAt: text("created_at").notNull(),
    /** The batch sequence that carried it; null until exported. */
    batchSequence: integer("batch_sequence"),
  },
  (t) => [index("outbox_pending").on(t.batchSequence, t.seq)],
);

/** Batches this network exported. */
export const batchesOut = sqliteTable("batches_out", {
  sequence: integer("sequence").primaryKey(),
  id: text("id").notNull().unique(),
  fileName: text("file_name").notNull(),
  records: integer("records").notNull(),
  bytes: integer("bytes").notNull(),
  fileSha256: text("file_sha256").notNull(),
  /** SHA-256 of the gzip body: the next batch's prev_hash (unchanged when a batch is re-signed for resending). */
  bodySha256: text("body_sha256").notNull().default(""),
  createdAt: text("created_at").notNull(),
  expiresAt: text("expires_at").notNull(),
  acknowledgedAt: text("acknowledged_at"),
  resentCount: integer("resent_count").notNull().default(0),
  lastResentAt: text("last_resent_at"),
  /** JSON array of the body hashes this batch replaced when it was superseded (null if never). */
  supersededBodies: text("superseded_bodies"),
  /** What the peer reported doing with this batch when it did not apply it (e.g. "quarantined"). */
  peerOutcome: text("peer_outcome"),
  peerReason: text("peer_reason"),
});

/** Batches this network received, with their outcome. */
export const batchesIn = sqliteTable(
  "batches_in",
  {
    /** One row per received file (a receipt); the same batch may arrive several times. */
    id: text("id").primaryKey(),
    /** The manifest's batch id, once the signature has been verified. */
    batchId: text("batch_id"),
    sequence: integer("sequence"),
    sourceNetwork: text("source_network"),
    fileName: text("file_name").notNull(),
    fileSha256: text("file_sha256").notNull(),
    bodySha256: text("body_sha256"),
    bytes: integer("bytes").notNull(),
    records: integer("records"),
    outcome: text("outcome", { enum: ["pending", "applied", "replay", "held", "quarantined", "superseded"] }).notNull(),
    reason: text("reason"),
    receivedAt: text("received_at").notNull(),
    appliedAt: text("applied_at"),
    attempts: integer("attempts").notNull().default(1),
    /** JSON array of the body hashes the (signed) manifest says this batch supersedes. */
    supersedes: text("supersedes"),
  },
  (t) => [index("batches_in_sequence").on(t.sequence), index("batches_in_outcome").on(t.outcome, t.sequence), index("batches_in_file").on(t.fileSha256)],
);

/** Small named counters and markers of the transfer (last imported sequence, last ack seen, …). */
export const transferState = sqliteTable("transfer_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/**
 * Records set aside instead of stopping the link. side "in": received in a genuine batch but
 * refused by its kind's schema (or of a kind this release does not know); "out": left out of
 * our own batch (superseded, or too large to send); "peer": the peer reported setting one of
 * ours aside. The record itself is kept (in/out) so an admin can retry it after an upgrade.
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    side: text("side", { enum: ["in", "out", "peer"] }).notNull(),
    batchSequence: integer("batch_sequence"),
    kind: text("kind").notNull(),
    recordId: text("record_id").notNull(),
    recordVersion: integer("record_version"),
    schemaVersion: integer("schema_version"),
    /** The record envelope as JSON (null for "peer": the peer holds it). */
    record: text("record"),
    reason: text("reason").notNull(),
    status: text("status", { enum: ["open", "applied", "requeued"] }).notNull(),
    createdAt: text("created_at").notNull(),
    resolvedAt: text("resolved_at"),
    resolvedBy: text("resolved_by"),
  },
  (t) => [index("dead_letters_side_status").on(t.side, t.status, t.createdAt)],
);

/**
 * A user's webhook endpoints (docs/webhooks.md): request events on the request network, alert
 * events for operators and admins on both. The secret signs deliveries, so
 * it is kept recoverable; it is returned only when created and never crosses the gap (no record kind).
 */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    url: text("url").notNull(),
    /** JSON array of event names. */
    events: text("events").notNull(),
    /** 1: request.answered carries the answer itself (opt-in); 0: thin payloads. */
    includeAnswer: integer("include_answer").notNull().default(0),
    secret: text("secret").notNull(),
    /** While a rotation overlaps: the old secret, which signs too until `previous_secret_expires_at`. */
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: text("previous_secret_expires_at"),
    status: text("status", { enum: ["active", "disabled"] }).notNull(),
    disabledReason: text("disabled_reason"),
    disabledAt: text("disabled_at"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("webhook_endpoints_user").on(t.userId, t.createdAt)],
);

/**
 * One message per endpoint and event; its id is the `webhook-id` every attempt carries, so a
 * receiver drops duplicates. Written in the same atomic batch as the change it announces.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    endpointId: text("endpoint_id").notNull(),
    event: text("event").notNull(),
    /** The request it is about (null for endpoint.disabled and alert events). */
    requestId: text("request_id"),
    /** The alert_events row an alert.firing/alert.resolved message announces (null otherwise). */
    alertEventId: integer("alert_event_id"),
    /** The signed body's JSON (fixed when written, so every attempt sends the same). */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: text("next_attempt_at"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    deliveredAt: text("delivered_at"),
  },
  (t) => [
    index("webhook_deliveries_due").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_endpoint").on(t.endpointId, t.createdAt, t.id),
    // Once per endpoint, event and request, whatever replays an import may bring.
    uniqueIndex("webhook_deliveries_once").on(t.endpointId, t.event, t.requestId),
    // Alert messages have no request (and NULLs never collide): once per endpoint and alert event.
    uniqueIndex("webhook_deliveries_alert_once").on(t.endpointId, t.alertEventId),
  ],
);

/** Operator alerts evaluated by the alerts job: one row per condition ever seen firing (docs/alerts.md). */
export const alerts = sqliteTable("alerts", {
  name: text("name").primaryKey(),
  state: text("state", { enum: ["firing", "resolved"] }).notNull(),
  /** When it entered its current state. */
  since: text("since").notNull(),
  lastEvaluated: text("last_evaluated").notNull(),
  /** What was seen at the transition, as bounded JSON. */
  details: text("details"),
});

/** Each firing/resolved transition, in order: what a delivery job sends to the operators' endpoints. */
export const alertEvents = sqliteTable(
  "alert_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    alert: text("alert").notNull(),
    state: text("state", { enum: ["firing", "resolved"] }).notNull(),
    at: text("at").notNull(),
    details: text("details"),
    /** Set by the delivery job once sent; null while waiting. */
    deliveredAt: text("delivered_at"),
  },
  (t) => [index("alert_events_alert_at").on(t.alert, t.at), index("alert_events_undelivered").on(t.deliveredAt, t.id)],
);
