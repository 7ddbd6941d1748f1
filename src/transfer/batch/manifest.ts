/** The signed manifest of a batch and the record envelope of its body, as zod schemas. */
import { z } from "zod";
import { ZERO_HASH } from "./hash.ts";

/** The format this release writes; it reads every format in READABLE_FORMATS. */
export const FORMAT_VERSION = 2;
export const READABLE_FORMATS: readonly number[] = [1, 2];

/** Same rule as AIRLOCK_NETWORK_ID in src/config.ts. */
const networkId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected a network id (lowercase letters, digits, dashes)");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");
const count = z.number().int().nonnegative();
/** An identifier, not free text: also keeps names like "__proto__" out of the per-kind count maps. */
const kind = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, "expected a kind name (a letter, then letters, digits, _ . : -; at most 64)");

const manifestFields = {
  batch_id: z.uuid(),
  source: networkId,
  destination: networkId,
  /** Per direction (source → destination), starting at 1, no gaps. */
  sequence: z.number().int().min(1),
  /** SHA-256 of the previous batch's gzip BODY of the same direction (stable when a batch is re-signed for resending); 64 zeros for sequence 1. */
  prev_hash: sha256,
  /** Records by kind; only kinds present in the body, so the map can be compared exactly. */
  counts: z.record(kind, z.number().int().positive()),
  records: count,
  body_sha256: sha256,
  /** Size of the gzip body in the file. */
  body_bytes: count,
  /** Size of the JSONL once inflated. */
  raw_bytes: count,
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  /** Last sequence this network imported from the other direction; 0 if none. */
  ack: count,
  /** Must equal the JWS `kid`: the key that signed this manifest. */
  key_id: z.string().min(1).max(128),
};

/** Format 2 adds what each side runs and the bodies a superseding batch replaces. */
const v2Fields = {
  /** The sender's release (package version). */
  release: z.string().min(1).max(32),
  /** The sender's newest applied database migration. */
  schema_version: z.string().max(64).nullable(),
  /** A superseding batch: the body hashes of the earlier versions of this sequence it replaces. */
  supersedes: z.array(sha256).max(16).optional(),
};

function checkManifest(m: z.infer<z.ZodObject<typeof manifestFields>>, ctx: z.RefinementCtx) {
  const sum = Object.values(m.counts).reduce((a, b) => a + b, 0);
  if (sum !== m.records) ctx.addIssue({ code: "custom", path: ["records"], message: `records is ${m.records} but counts add up to ${sum}` });
  if (Date.parse(m.expires_at) <= Date.parse(m.created_at)) ctx.addIssue({ code: "custom", path: ["expires_at"], message: "expires_at must be after created_at" });
  if (m.source === m.destination) ctx.addIssue({ code: "custom", path: ["destination"], message: "source and destination must differ" });
  if ((m.sequence === 1) !== (m.prev_hash === ZERO_HASH)) {
    ctx.addIssue({ code: "custom", path: ["prev_hash"], message: "prev_hash must be 64 zeros exactly when sequence is 1" });
  }
}

/** Format 1 (release 0.1): strict, unknown fields refused. */
export const manifestV1Schema = z.strictObject({ format: z.literal(1), ...manifestFields }).superRefine(checkManifest);

/**
 * Format 2: unknown fields are ignored (a newer sender may add some; the signature still covers
 * them), so a release can add manifest fields without stopping an older receiver.
 */
export const manifestSchema = z.object({ format: z.literal(2), ...manifestFields, ...v2Fields }).superRefine(checkManifest);

/** The manifest of any readable format, as the importer sees it. */
export type AnyManifest = z.infer<typeof manifestV1Schema> | z.infer<typeof manifestSchema>;

/** Parses a verified manifest's JSON by its format. */
export function parseManifest(json: unknown) {
  const format = json !== null && typeof json === "object" ? (json as { format?: unknown }).format : undefined;
  return format === 1 ? manifestV1Schema.safeParse(json) : manifestSchema.safeParse(json);
}

export type Manifest = AnyManifest;
/** What this release writes. */
export type ManifestV2 = z.infer<typeof manifestSchema>;

/**
 * One line of the body. Records are opaque here beyond this envelope; the importer validates `data`
 * per kind. Strict, so a typo in an envelope field is refused rather than silently dropped.
 */
export const recordSchema = z.strictObject({
  kind,
  id: z.string().min(1).max(256),
  version: z.number(),
  /** The record's schema version (format 2; absent means 1). */
  schema: z.number().int().min(1).max(1_000_000).optional(),
  data: z.record(z.string(), z.unknown()),
});

export type BatchRecord = z.infer<typeof recordSchema>;

/** Short, one-line rendering of zod issues for `reason` strings. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}
