/**
 * A yes-only pre-check for the simplest zod object schemas: a plain function built once per schema
 * from its definition, which says "certainly valid" or "ask zod". Records arrive by the thousand
 * and zod's walk (and the copy it returns) was a large share of an import; a value this passes
 * satisfies the schema exactly as it is, with no unknown keys, so zod would return an equal copy.
 * Only the parts listed below are understood; a schema with anything else gets no pre-check, and
 * every "no" goes to zod, so zod alone gives every verdict of invalid and its message.
 */
import { z } from "zod";

type Check = (v: unknown) => boolean;
// zod 4 keeps each schema's definition in `_zod.def`, and each check's in its own `_zod.def`.
type Def = { type?: string; checks?: Array<{ _zod: { def: Record<string, unknown> } }>; [k: string]: unknown };
const defOf = (schema: unknown): Def | undefined => (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** Exactly these definition keys, nothing more (a refinement, default, coercion… means "unsupported"). */
const only = (def: Def, keys: string[]) => Object.keys(def).every((k) => keys.includes(k) && (k !== "checks" || Array.isArray(def.checks)));

/** zod's own condition on length checks ("the value has a length"): any other condition is not understood. */
const LENGTH_WHEN = (z.string().max(1) as unknown as { _zod: { def: { checks: Array<{ _zod: { def: { when?: unknown } } }> } } })._zod.def.checks[0]._zod.def.when;

function stringCheck(def: Def): Check | null {
  if (!only(def, ["type", "checks"])) return null;
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (!only(d as Def, ["check", "minimum", "maximum", "length", "when"]) || ("when" in d && d.when !== LENGTH_WHEN)) return null;
    if (d.check === "min_length" && typeof d.minimum === "number") min = Math.max(min, d.minimum);
    else if (d.check === "max_length" && typeof d.maximum === "number") max = Math.min(max, d.maximum);
    else if (d.check === "length_equals" && typeof d.length === "number") {
      min = Math.max(min, d.length);
      max = Math.min(max, d.length);
    } else return null;
  }
  return (v) => typeof v === "string" && v.length >= min && v.length <= max;
}

function numberCheck(def: Def): Check | null {
  if (!only(def, ["type", "checks"])) return null;
  const parts: Check[] = [(v) => typeof v === "number" && Number.isFinite(v)];
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === "number_format" && d.format === "safeint" && only(d as Def, ["type", "check", "abort", "format"]) && d.abort === false)
      parts.push((v) => Number.isSafeInteger(v));
    else if (
      (d.check === "greater_than" || d.check === "less_than") &&
      typeof d.value === "number" &&
      typeof d.inclusive === "boolean" &&
      only(d as Def, ["check", "value", "inclusive"])
    ) {
      const bound = d.value;
      if (d.check === "greater_than") parts.push(d.inclusive ? (v) => (v as number) >= bound : (v) => (v as number) > bound);
      else parts.push(d.inclusive ? (v) => (v as number) <= bound : (v) => (v as number) < bound);
    } else return null;
  }
  return (v) => parts.every((p) => p(v));
}

function fieldCheck(schema: unknown): Check | null {
  const def = defOf(schema);
  switch (def?.type) {
    case "string":
      return stringCheck(def);
    case "number":
      return numberCheck(def);
    case "boolean":
      return only(def, ["type"]) ? (v) => typeof v === "boolean" : null;
    case "enum": {
      const values = Object.values((def.entries ?? {}) as Record<string, unknown>);
      if (!only(def, ["type", "entries"]) || !values.every((x) => typeof x === "string")) return null;
      const set = new Set(values);
      return (v) => typeof v === "string" && set.has(v);
    }
    case "nullable": {
      const inner = only(def, ["type", "innerType"]) ? fieldCheck(def.innerType) : null;
      return inner && ((v) => v === null || inner(v));
    }
    default:
      return null;
  }
}

/** The pre-check of an object schema of plain fields, or null when the schema has anything else. */
function compile(schema: z.ZodType): Check | null {
  const def = defOf(schema);
  if (def?.type !== "object" || !only(def, ["type", "shape"]) || typeof def.shape !== "object" || def.shape === null) return null;
  const fields: Array<[string, Check]> = [];
  for (const [key, field] of Object.entries(def.shape)) {
    const check = fieldCheck(field);
    if (!check) return null;
    fields.push([key, check]);
  }
  const count = fields.length;
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    let n = 0;
    for (const k in o) {
      if (!Object.hasOwn(o, k)) return false;
      n++;
    }
    // Every field present and valid, and no other key (zod would drop it: it is reported as ignored).
    if (n !== count || Object.hasOwn(o, "__proto__")) return false;
    for (let i = 0; i < count; i++) if (!Object.hasOwn(o, fields[i][0]) || !fields[i][1](o[fields[i][0]])) return false;
    return true;
  };
}

const compiled = new WeakMap<z.ZodType, Check | null>();

/** True only when `value` certainly satisfies `schema` as it is (see above); false means "ask zod". */
export function surelyValid(schema: z.ZodType, value: unknown): boolean {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = compile(schema);
    compiled.set(schema, check);
  }
  return check?.(value) === true;
}
