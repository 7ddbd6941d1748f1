// Batch bodies through Node's zlib: the same gzip as Compression Streams (Node's are built on this
// zlib), without the web streams around it, which cost about three times the inflation itself.
// The cap is zlib's own maxOutputLength: inflation stops as soon as the output passes it.
import { gunzip, gzip } from "node:zlib";
import { promisify } from "node:util";
import { constants } from "node:buffer";
import { notGzip, streamsGzip, tooLarge, type GzipCodec } from "../../transfer/batch/gzip.ts";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const bytesOf = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const nodeGzip: GzipCodec = {
  gzip: async (bytes) => bytesOf(await gzipAsync(bytes)),
  async gunzipCapped(body, maxBytes) {
    // zlib takes a cap from 1 byte to the largest Buffer; outside that the streams judge.
    if (!(maxBytes >= 1 && maxBytes <= constants.MAX_LENGTH)) return streamsGzip.gunzipCapped(body, maxBytes);
    try {
      return { ok: true, bytes: bytesOf(await gunzipAsync(body, { maxOutputLength: maxBytes })) };
    } catch (e) {
      return (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? tooLarge(maxBytes) : notGzip(e);
    }
  },
};
