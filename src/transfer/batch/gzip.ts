/**
 * gzip through the web Compression Streams API (workerd, Node 20, Deno), with a streaming
 * byte cap on inflation so a gzip bomb is refused long before it fills memory.
 */
import { concatBytes } from "../../lib/bytes.ts";

/**
 * Compressed input is fed in slices this big. Deflate expands at most ~1032:1, so even an
 * implementation that inflates a whole input chunk eagerly produces at most ~16 MiB before the
 * cap is looked at again; with backpressure (Node's zlib, workerd) it is far less.
 */
const INPUT_SLICE = 16 * 1024;

/** A pull-driven stream over `bytes`, one slice per pull, so backpressure reaches the source. */
function sliced(bytes: Uint8Array, size = INPUT_SLICE): ReadableStream<BufferSource> {
  let offset = 0;
  return new ReadableStream<BufferSource>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      // Copy the slice: some runtimes transfer (detach) chunk buffers written into a transform.
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

/** Reads a byte stream to the end into one array. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    total += value.length;
  }
  return concatBytes(chunks, total);
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return collect(sliced(bytes).pipeThrough(new CompressionStream("gzip")));
}

/**
 * How a batch body is compressed and inflated. The Compression Streams below work everywhere; a
 * runtime may offer a faster one of the same format and the same cap (Node's zlib, about four
 * times cheaper per byte than Node's web streams around it).
 */
export interface GzipCodec {
  gzip(bytes: Uint8Array): Promise<Uint8Array>;
  /** Inflates `body`, refusing (`too_large`) once the output would pass `maxBytes`. Never throws. */
  gunzipCapped(body: Uint8Array, maxBytes: number): Promise<GunzipResult>;
}

export type GunzipResult = { ok: true; bytes: Uint8Array } | { ok: false; code: "too_large" | "decompression_failed"; reason: string };

/**
 * Inflates `body`, aborting as soon as the output passes `maxBytes`: the stream is cancelled,
 * which stops the inflater and the input feed, so at most one output chunk past the cap is ever
 * held. Never throws.
 */
export async function gunzipCapped(body: Uint8Array, maxBytes: number): Promise<GunzipResult> {
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = sliced(body).pipeThrough(new DecompressionStream("gzip")).getReader();
  } catch (e) {
    return { ok: false, code: "decompression_failed", reason: `cannot start decompression: ${message(e)}` };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel("inflated size limit reached").catch(() => {});
        return tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {});
    return notGzip(e);
  }
  return { ok: true, bytes: concatBytes(chunks, total) };
}

/** The Compression Streams codec, the default. */
export const streamsGzip: GzipCodec = { gzip, gunzipCapped };

/** The messages of a refused inflation, the same whichever codec refused it. */
export const tooLarge = (maxBytes: number): GunzipResult => ({
  ok: false,
  code: "too_large",
  reason: `the body inflates to more than ${maxBytes} bytes (limit); refused without inflating further`,
});
export const notGzip = (e: unknown): GunzipResult => ({ ok: false, code: "decompression_failed", reason: `the body is not valid gzip: ${message(e)}` });

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
