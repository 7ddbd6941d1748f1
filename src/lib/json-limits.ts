import { z } from "zod";

/**
 * Limits for JSON an outsider controls (request bodies, answers), in one place:
 * the door (routes and services) and the importer apply the same ones, so a
 * value accepted on one network is accepted by its peer.
 *
 * The walker is iterative (an explicit stack): JSON.parse accepts nesting that
 * recursive code (zod's z.json, JSON.stringify, canonical JSON) cannot walk, so
 * depth is checked here BEFORE anything recursive touches the value. It never
 * throws: anything odd (a cycle, a getter that throws, a class instance) is an
 * issue like any other.
 */
export interface JsonLimits {
  /** Nested arrays/objects; a scalar at the top is depth 0, `[1]` is depth 1. */
  maxDepth: number;
  /** Keys of one object. */
  maxKeys: number;
  /** Every value counted once (containers, members, elements, scalars). */
  maxValues: number;
  /** A key, in UTF-16 code units. */
  maxKeyLength: number;
  /** A string value, in UTF-16 code units. */
  maxStringLength: number;
}

export const JSON_LIMITS: JsonLimits = Object.freeze({
  maxDepth: 64,
  maxKeys: 1_000,
  maxValues: 100_000,
  maxKeyLength: 256,
  maxStringLength: 1_048_576,
});

export type JsonPath = Array<string | number>;
export interface JsonIssue {
  path: JsonPath;
  message: string;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// Most text has no surrogate at all: one cheap scan decides.
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
// A high surrogate not followed by a low one, or a low one without a high one before it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Well-formed Unicode: no lone surrogate. A lone surrogate survives
 * JSON.stringify as `\ud800`, but UTF-8 (SQLite text, a batch line, an HTTP
 * body) cannot hold it: it would silently become U+FFFD on the way. NUL,
 * U+2028 and every other code point are fine and cross unchanged.
 */
export const isWellFormed = (s: string) => !ANY_SURROGATE.test(s) || !LONE_SURROGATE.test(s);

// Path segments are echoed in problems; ancestors' keys are already bounded by maxKeyLength, this keeps echoes short.
const SEGMENT_ECHO = 64;
const echo = (k: string) => (k.length > SEGMENT_ECHO ? `${k.slice(0, SEGMENT_ECHO)}…` : k);

// Each frame links to its parent, so a path is only built when there is an issue to report.
interface Frame {
  value: unknown;
  key: string | number;
  depth: number;
  parent: Frame | null;
}

function pathOf(f: Frame): JsonPath {
  const path: JsonPath = [];
  for (let at: Frame | null = f; at?.parent; at = at.parent) path.push(at.key);
  return path.reverse();
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function scalarIssue(v: unknown, limits: JsonLimits): string | null {
  switch (typeof v) {
    case "string":
      if (v.length > limits.maxStringLength) return `string of ${v.length} characters, over the limit of ${limits.maxStringLength}`;
      if (!isWellFormed(v)) return "string is not well-formed Unicode (lone surrogate)";
      return null;
    case "number":
      return Number.isFinite(v) ? null : "number is not finite (too large for a double, e.g. 1e400)";
    case "boolean":
      return null;
    default:
      return v === null ? null : `not a JSON value (${typeof v})`;
  }
}

function keysIssue(keys: string[], limits: JsonLimits): string | null {
  if (keys.length > limits.maxKeys) return `object has ${keys.length} keys, over the limit of ${limits.maxKeys}`;
  for (const k of keys) {
    if (k.length > limits.maxKeyLength) return `a key of ${k.length} characters, over the limit of ${limits.maxKeyLength}`;
    if (!isWellFormed(k)) return "a key is not well-formed Unicode (lone surrogate)";
  }
  return null;
}

const issueAt = (frame: Frame, message: string): JsonIssue => ({ path: pathOf(frame), message });

function walk(root: unknown, limits: JsonLimits): JsonIssue | null {
  const stack: Frame[] = [{ value: root, key: "", depth: 0, parent: null }];
  let values = 0;
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value, depth } = frame;
    if (++values > limits.maxValues) return issueAt(frame, `more than ${limits.maxValues} values in all`);
    if (value === null || typeof value !== "object") {
      const message = scalarIssue(value, limits);
      if (message) return issueAt(frame, message);
      continue;
    }
    if (depth >= limits.maxDepth) return issueAt(frame, `nested deeper than ${limits.maxDepth} levels`);
    if (Array.isArray(value)) {
      if (value.length > limits.maxValues) return issueAt(frame, `array of ${value.length} elements, more than ${limits.maxValues} values in all`);
      // Pushed in reverse so the first issue reported is the first in document order.
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, depth: depth + 1, parent: frame });
      continue;
    }
    if (!isPlainObject(value)) return issueAt(frame, "not a JSON value (not a plain object)");
    const keys = Object.keys(value);
    const message = keysIssue(keys, limits);
    if (message) return issueAt(frame, message);
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (value as Record<string, unknown>)[keys[i]], key: echo(keys[i]), depth: depth + 1, parent: frame });
  }
  return null;
}

/** The first reason `value` cannot be accepted as JSON under `limits`, or null. Never throws. */
export function checkJson(value: unknown, limits: JsonLimits = JSON_LIMITS): JsonIssue | null {
  try {
    return walk(value, limits);
  } catch {
    // Only exotic values get here (a revoked proxy, a throwing getter); JSON.parse never makes them.
    return { path: [], message: "not a JSON value" };
  }
}

/** RFC 6901 pointer of a path (`prefix` is the pointer of the value the path starts at). */
export function jsonPointer(path: JsonPath, prefix = ""): string {
  return prefix + path.map((seg) => `/${String(seg).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** Marks zod issues raised by these limits, so the problem says `invalid_json` rather than `validation_failed`. */
export const JSON_LIMIT_ISSUE = "json_limits";

export const isJsonLimitIssue = (issue: { code?: string; params?: unknown }) =>
  issue.code === "custom" && (issue.params as { kind?: unknown } | undefined)?.kind === JSON_LIMIT_ISSUE;

/** A zod schema for any JSON value within `limits` (replaces z.json(), which recurses). */
export function jsonValueSchema(limits: JsonLimits = JSON_LIMITS): z.ZodType<JsonValue> {
  return z.unknown().superRefine((v, ctx) => {
    if (v === undefined) {
      ctx.addIssue({ code: "custom", message: "required" });
      return;
    }
    const issue = checkJson(v, limits);
    if (issue) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path, params: { kind: JSON_LIMIT_ISSUE } });
  }) as unknown as z.ZodType<JsonValue>;
}

// C0 controls except tab, LF and CR; DEL. Free text (a rejection reason) may span lines.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const TEXT_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
// One-line labels (a topic): every control character (C0, DEL, C1) and the Unicode line/paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const LINE_CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;

/** Why `s` is not acceptable text (`line`: a one-line label), or null. */
export function textIssue(s: string, o: { line?: boolean } = {}): string | null {
  if (!isWellFormed(s)) return "not well-formed Unicode (lone surrogate)";
  if ((o.line ? LINE_CONTROL : TEXT_CONTROL).test(s))
    return o.line ? "control characters and line breaks are not allowed" : "control characters other than tab and line breaks are not allowed";
  return null;
}
