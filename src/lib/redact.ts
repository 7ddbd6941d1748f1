// Secrets and personal data never reach a log line: keys that name a secret are
// replaced wholesale, and e-mail addresses inside any string are masked.
const SECRET_KEY = /pass(word)?|secret|token|authorization|api[-_]?key|cookie|private|credential|(signing|encryption)[-_]?keys?|^key$/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const API_KEY = /\bak_[A-Za-z0-9_-]{8,}/g;
const WEBHOOK_SECRET = /\bwhsec_[A-Za-z0-9+/=]{8,}/g;

export const REDACTED = "[redacted]";

// Every pattern above needs one of these; most strings (paths, ids) have none and are returned as they are.
const MAYBE = /@|bearer|basic|ak_|whsec_/i;

export function redactString(s: string): string {
  if (!MAYBE.test(s)) return s;
  return s.replace(EMAIL, "[email]").replace(BEARER, "$1 [redacted]").replace(API_KEY, "ak_[redacted]").replace(WEBHOOK_SECRET, "whsec_[redacted]");
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[deep]";
  if (typeof value === "string") return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: redactString(value.message), stack: value.stack && redactString(value.stack) };
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Counts and flags under secret-sounding names (expired_tokens: 5) are not secrets.
      out[k] = SECRET_KEY.test(k) && (typeof v === "string" || (typeof v === "object" && v !== null)) ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
