/**
 * The transfer's contract with the domains. Each domain (identity, audit, requests) describes its
 * record kinds here — who sends them, their schema and its version, how the receiver applies them —
 * and the transfer only holds the list (src/record-kinds.ts) and the file format. Export and
 * import both go through it, so what a network exports is exactly what its peer accepts.
 */
import type { z } from "zod";
import type { Services } from "../services.ts";
import type { Statement } from "../deps/db/database.ts";
import { bounded, MAX_REASON } from "../lib/text.ts";
import { surelyValid } from "../lib/zod-fast-check.ts";

export type NetworkRole = "request" | "response";

export interface ApplyContext {
  batchSequence: number;
  receivedAt: string;
}

export interface RecordKind<T = Record<string, unknown>> {
  readonly kind: string;
  /** The network that owns (and so sends) these records; the other one applies them. */
  readonly owner: NetworkRole | "both";
  /** Written into every envelope; a receiver reads this version and every older one. */
  readonly schemaVersion: number;
  /**
   * The receiver's schema for the current version. Not strict: fields a newer sender added are
   * ignored (and reported), never a reason to refuse the record.
   */
  readonly schema: z.ZodType<T>;
  /** Brings the data of an older schema version to the current shape. */
  upgrade?(data: Record<string, unknown>, fromVersion: number): Record<string, unknown>;
  /** The entity id inside the data, which must equal the envelope's id. */
  idOf(data: T): string;
  /** Statement builders only: the importer runs one whole batch's statements atomically. */
  apply(s: Services, rows: T[], ctx: ApplyContext): Statement[];
  /** After the batch committed (e.g. cache invalidation); failures are logged, never undo it. */
  afterApply?(s: Services, rows: T[]): Promise<void>;
  /** Statements committed with the export of a batch that carried these records. */
  afterExport?(s: Services, ids: string[], sequence: number): Statement[];
}

// biome-ignore lint/suspicious/noExplicitAny: the list holds kinds of every value type; each kind checks its own
export type AnyKind = RecordKind<any>;

export type ParsedRecord = { ok: true; value: Record<string, unknown>; ignored: string[] } | { ok: false; reason: string };

const fieldsOf = new WeakMap<z.ZodType, ReadonlySet<string> | null>();

/** Known top-level fields of an object schema (zod 4 keeps them in `shape`), worked out once per schema. */
function knownFields(schema: z.ZodType): ReadonlySet<string> | null {
  let known = fieldsOf.get(schema);
  if (known === undefined) {
    const shape = (schema as unknown as { shape?: Record<string, unknown> }).shape;
    known = shape && typeof shape === "object" ? new Set(Object.keys(shape)) : null;
    fieldsOf.set(schema, known);
  }
  return known;
}

/** Validates one record's data against its kind, any schema version. Never throws. */
export function parseRecordData(k: AnyKind, data: Record<string, unknown>, schemaVersion = 1): ParsedRecord {
  try {
    let input = data;
    if (schemaVersion < k.schemaVersion && k.upgrade) input = k.upgrade(data, schemaVersion);
    // The common case without zod's walk and copy; anything else, and every refusal, is zod's.
    if (surelyValid(k.schema, input)) return { ok: true, value: input, ignored: [] };
    const parsed = k.schema.safeParse(input);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return { ok: false, reason: bounded(`${i.path.join(".") || "data"}: ${i.message}`, MAX_REASON) };
    }
    const known = knownFields(k.schema);
    const ignored: string[] = [];
    if (known) for (const f in input) if (!known.has(f)) ignored.push(f);
    return { ok: true, value: parsed.data as Record<string, unknown>, ignored };
  } catch (e) {
    return { ok: false, reason: bounded(`the record cannot be read: ${e instanceof Error ? e.message : String(e)}`, MAX_REASON) };
  }
}

export const sendsKind = (k: AnyKind, role: NetworkRole) => k.owner === role || k.owner === "both";
