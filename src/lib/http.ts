import { concatBytes } from "./bytes.ts";

/** Rejects after `ms` so a slow dependency can't hold a request. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A POST to a service we call out to (the processor, a webhook receiver), under a time limit, that
 * never follows a redirect: a 307/308 would re-send the body to wherever it points. Resolves to
 * the response (`redirect` when it was one; its body is then cancelled), or to why there is none.
 */
export async function postNoRedirect(
  url: string | URL,
  init: { headers: Record<string, string>; body: string; timeoutMs: number },
): Promise<{ ok: true; res: Response; redirect: boolean } | { ok: false; error: string }> {
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers: init.headers, body: init.body, signal: AbortSignal.timeout(init.timeoutMs), redirect: "manual" });
  } catch (e) {
    const name = (e as Error)?.name;
    return { ok: false, error: name === "TimeoutError" || name === "AbortError" ? `timed out after ${init.timeoutMs} ms` : `request failed: ${(e as Error)?.message ?? e}` };
  }
  const redirect = res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400);
  if (redirect) await res.body?.cancel().catch(() => {});
  return { ok: true, res, redirect };
}

/** Reads a request's (or response's) body, refusing (null) as soon as it passes `max` bytes — it is never buffered whole. */
export async function readBodyCapped(req: Pick<Request, "headers" | "body">, max: number): Promise<Uint8Array | null> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    await req.body?.cancel().catch(() => {});
    return null;
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return concatBytes(chunks, size);
}
