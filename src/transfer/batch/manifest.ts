/** The signed manifest of a batch and the record envelope of its body, as zod schemas. */
import { z } from "zod";
import { ZERO_HASH } from "./hash.ts";
import { sealedSchema } from "./seal.ts";

/** The format the exporter writes (sealed); the importer reads every format in READABLE_FORMATS. */
export const FORMAT_VERSION = 3;
export const READABLE_FORMATS: readonly number[] = [1, 2, 3];

/** Same rule as AIRLOCK_NETWORK_ID in src/config.ts. */
const networkId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected a network id (lowercase letters, digits, dashes)");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");
const count = z.number().int().nonnegative();
/** An identifier, not free text: also keeps names like "__proto__" out of the per-kind count maps. */
export const KIND_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
const kind = z.string().regex(KIND_NAME, "expected a kind name (a letter, then letters, digits, _ . : -; at most 64)");

const manifestFields = {
  batch_id: z.uuid(),
  source: networkId,
  destination: networkId,
  /** Per direction (source → destination), starting at 1, no gaps. */
  sequence: z.number().int().min(1),
  /** SHA-256 of the previous batch's gzip BODY of the same direction (stable when a batch is re-signed for resending); 64 zeros for sequence 1. */
  prev_hash: sha256,
  /** SHA-256 of the body as it is in the file (gzip, or its ciphertext when sealed). */
  body_sha256: sha256,
  /** Size of the body in the file. */
  body_bytes: count,
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime(),
  /** Last sequence this network imported from the other direction; 0 if none. */
  ack: count,
  /** Must equal the JWS `kid`: the key that signed this manifest. */
  key_id: z.string().min(1).max(128),
};

/** What the body holds; in the clear up to format 2, inside the sealed body from format 3 on (the verifier works it out). */
const contentFields = {
  /** Records by kind; only kinds present in the body, so the map can be compared exactly. */
  counts: z.record(kind, z.number().int().positive()),
  records: count,
  /** Size of the JSONL once inflated. */
  raw_bytes: count,
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

function checkCounts(m: z.infer<z.ZodObject<typeof contentFields>>, ctx: z.RefinementCtx) {
  const sum = Object.values(m.counts).reduce((a, b) => a + b, 0);
  if (sum !== m.records) ctx.addIssue({ code: "custom", path: ["records"], message: `records is ${m.records} but counts add up to ${sum}` });
}

function checkRouting(m: z.infer<z.ZodObject<typeof manifestFields>>, ctx: z.RefinementCtx) {
  if (Date.parse(m.expires_at) <= Date.parse(m.created_at)) ctx.addIssue({ code: "custom", path: ["expires_at"], message: "expires_at must be after created_at" });
  if (m.source === m.destination) ctx.addIssue({ code: "custom", path: ["destination"], message: "source and destination must differ" });
  if ((m.sequence === 1) !== (m.prev_hash === ZERO_HASH)) {
    ctx.addIssue({ code: "custom", path: ["prev_hash"], message: "prev_hash must be 64 zeros exactly when sequence is 1" });
  }
}

function checkManifest(m: z.infer<z.ZodObject<typeof manifestFields & typeof contentFields>>, ctx: z.RefinementCtx) {
  checkRouting(m, ctx);
  checkCounts(m, ctx);
}

/** Format 1 (release 0.1): strict, unknown fields refused. */
export const manifestV1Schema = z.strictObject({ format: z.literal(1), ...manifestFields, ...contentFields }).superRefine(checkManifest);

/**
 * Format 2: unknown fields are ignored (a newer sender may add some; the signature still covers
 * them), so a release can add manifest fields without stopping an older receiver.
 */
export const manifestV2Schema = z.object({ format: z.literal(2), ...manifestFields, ...contentFields, ...v2Fields }).superRefine(checkManifest);

/**
 * Format 3: the body is sealed to the destination (src/transfer/batch/seal.ts). The manifest keeps
 * only what routing and offline verification need; what the body holds is known once it is opened.
 */
export const manifestV3Schema = z.object({ format: z.literal(3), ...manifestFields, ...v2Fields, sealed: sealedSchema }).superRefine(checkRouting);

/** The manifest of any readable format, as signed in the file. */
export type SignedManifest = z.infer<typeof manifestV1Schema> | z.infer<typeof manifestV2Schema> | z.infer<typeof manifestV3Schema>;
export type ManifestV3 = z.infer<typeof manifestV3Schema>;
export type ContentSummary = z.infer<z.ZodObject<typeof contentFields>>;

/** A verified batch's manifest with what its body holds: the signed fields, plus for format 3 the summary worked out from the opened body. */
export type Manifest = z.infer<typeof manifestV1Schema> | z.infer<typeof manifestV2Schema> | (ManifestV3 & ContentSummary);

/** Parses a verified manifest's JSON by its format. */
export function parseManifest(json: unknown) {
  const format = json !== null && typeof json === "object" ? (json as { format?: unknown }).format : undefined;
  if (format === 1) return manifestV1Schema.safeParse(json);
  if (format === 2) return manifestV2Schema.safeParse(json);
  return manifestV3Schema.safeParse(json);
}

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
