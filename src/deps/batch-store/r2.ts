import { assertBatchName, assertForeignName, type BatchArea, type BatchObject, type BatchStore } from "./batch-store.ts";

/** Batch store on an R2 bucket (Workers). R2 puts are atomic per object. */
export class R2BatchStore implements BatchStore {
  readonly kind = "r2" as const;
  constructor(private bucket: R2Bucket) {}
  async put(area: BatchArea, name: string, data: Uint8Array) {
    assertBatchName(name);
    await this.bucket.put(`${area}/${name}`, data);
  }
  async get(area: BatchArea, name: string) {
    assertBatchName(name);
    const obj = await this.bucket.get(`${area}/${name}`);
    return obj ? new Uint8Array(await obj.arrayBuffer()) : null;
  }
  async list(area: BatchArea): Promise<BatchObject[]> {
    const out: BatchObject[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix: `${area}/`, cursor });
      for (const o of page.objects) out.push({ name: o.key.slice(area.length + 1), size: o.size });
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
  async delete(area: BatchArea, name: string) {
    assertBatchName(name);
    await this.bucket.delete(`${area}/${name}`);
  }
  async adopt(from: BatchArea, foreignName: string, to: BatchArea, name: string) {
    assertForeignName(foreignName);
    assertBatchName(name);
    const obj = await this.bucket.get(`${from}/${foreignName}`);
    if (!obj) throw new Error(`no object ${from}/${foreignName}`);
    // Streamed: R2 knows the object's length, so an oversized file is never held in memory.
    await this.bucket.put(`${to}/${name}`, obj.body);
    await this.bucket.delete(`${from}/${foreignName}`);
  }
  async ping() {
    await this.bucket.head("outbox/.ping");
  }
}
