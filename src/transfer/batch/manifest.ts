/** The signed manifest of a batch and the record envelope of its body, as zod schemas. */
import { z } from "zod";
import { ZERO_HASH } from "./hash.ts";

export const FORMAT_VERSION = 1;

/** Same rule as AIRLOCK_NETWORK_ID in src/config.ts. */
const networkId = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected a network id (lowercase letters, digits, dashes)");
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected 64 lowercase hex characters");
const count = z.number().int().nonnegative();
/** An identifier, not free text: also keeps names like "__proto__" out of the per-kind count maps. */
const kind = z.string().regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, "expected a kind name (a letter, then letters, digits, _ . : -; at most 64)");

export const manifestSchema = z
  .strictObject({
    format: z.literal(FORMAT_VERSION),
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
  })
  .superRefine((m, ctx) => {
    const sum = Object.values(m.counts).reduce((a, b) => a + b, 0);
    if (sum !== m.records) ctx.addIssue({ code: "custom", path: ["records"], message: `records is ${m.records} but counts add up to ${sum}` });
    if (Date.parse(m.expires_at) <= Date.parse(m.created_at)) ctx.addIssue({ code: "custom", path: ["expires_at"], message: "expires_at must be after created_at" });
    if (m.source === m.destination) ctx.addIssue({ code: "custom", path: ["destination"], message: "source and destination must differ" });
    if ((m.sequence === 1) !== (m.prev_hash === ZERO_HASH)) {
      ctx.addIssue({ code: "custom", path: ["prev_hash"], message: "prev_hash must be 64 zeros exactly when sequence is 1" });
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;

/**
 * One line of the body. Records are opaque here beyond this envelope; the importer validates `data`
 * per kind. Strict, so a typo in an envelope field is refused rather than silently dropped.
 */
export const recordSchema = z.strictObject({
  kind,
  id: z.string().min(1).max(256),
  version: z.number(),
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
