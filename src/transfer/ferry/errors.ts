// The one error type of the courier: every failure of a ferry operation, safe to show (never a token).
export type FerryErrorKind = "http" | "network" | "timeout" | "protocol" | "integrity" | "aborted";

/** Every failure of a courier operation. `message` is safe to show: it never contains a token. */
export class FerryError extends Error {
  readonly kind: FerryErrorKind;
  readonly status?: number;
  /** The problem's `code` (RFC 9457 extension of this API), or a ferry code like "digest_mismatch". */
  readonly code?: string;
  readonly detail?: string;
  readonly retryable: boolean;
  /** From Retry-After, when the server gave one. */
  readonly retryAfterMs?: number;

  constructor(kind: FerryErrorKind, message: string, extra: { status?: number; code?: string; detail?: string; retryable?: boolean; retryAfterMs?: number } = {}) {
    super(message);
    this.name = "FerryError";
    this.kind = kind;
    this.status = extra.status;
    this.code = extra.code;
    this.detail = extra.detail;
    this.retryable = extra.retryable ?? false;
    this.retryAfterMs = extra.retryAfterMs;
  }

  toJSON(): FerryErrorInfo {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.status !== undefined && { status: this.status }),
      ...(this.code !== undefined && { code: this.code }),
      ...(this.detail !== undefined && { detail: this.detail }),
    };
  }
}

export interface FerryErrorInfo {
  kind: FerryErrorKind;
  message: string;
  status?: number;
  code?: string;
  detail?: string;
}

export function errorInfo(e: unknown): FerryErrorInfo {
  if (e instanceof FerryError) return e.toJSON();
  return { kind: "protocol", message: e instanceof Error ? e.message : String(e) };
}

/** What a thrown value says, with the cause's code (ECONNREFUSED, …) when it adds something. */
export function describeThrown(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const c = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
  return c && !e.message.includes(c) ? `${e.message} (${c})` : e.message;
}

/** Between steps of a ferry operation: a cancelled operation stops with an "aborted" FerryError. */
export function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new FerryError("aborted", "cancelled");
}
