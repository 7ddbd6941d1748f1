// Batch bodies through Node's zlib: the same gzip as Compression Streams (Node's are built on this
// zlib), without the web streams around it, which cost about three times the inflation itself.
// The cap is zlib's own maxOutputLength: inflation stops as soon as the output passes it.
import { gunzip, gzip } from "node:zlib";
import { promisify } from "node:util";
import { constants } from "node:buffer";
import { notGzip, streamsGzip, tooLarge, type GzipCodec } from "../../transfer/batch/gzip.ts";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
/**
 * Output per zlib call: each is a round trip to the thread pool, and zlib's 16 KiB default made a
 * batch body (a few MiB inflated) a hundred of them. The cap is checked per call, so at most one
 * such chunk past it is ever made.
 */
const CHUNK = 256 * 1024;
const bytesOf = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const nodeGzip: GzipCodec = {
  gzip: async (bytes) => bytesOf(await gzipAsync(bytes, { chunkSize: CHUNK })),
  async gunzipCapped(body, maxBytes) {
    // zlib takes a cap from 1 byte to the largest Buffer; outside that the streams judge.
    if (!(maxBytes >= 1 && maxBytes <= constants.MAX_LENGTH)) return streamsGzip.gunzipCapped(body, maxBytes);
    try {
      return { ok: true, bytes: bytesOf(await gunzipAsync(body, { maxOutputLength: maxBytes, chunkSize: CHUNK })) };
    } catch (e) {
      return (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? tooLarge(maxBytes) : notGzip(e);
    }
  },
};
