import { assertBatchName, assertForeignName, type BatchArea, type BatchObject, type BatchStore } from "./batch-store.ts";

/** Batch store in memory, for unit tests. */
export class MemoryBatchStore implements BatchStore {
  readonly kind = "memory" as const;
  private files = new Map<string, Uint8Array>();
  async put(area: BatchArea, name: string, data: Uint8Array) {
    assertBatchName(name);
    this.files.set(`${area}/${name}`, data.slice());
  }
  async get(area: BatchArea, name: string) {
    assertBatchName(name);
    return this.files.get(`${area}/${name}`)?.slice() ?? null;
  }
  async list(area: BatchArea): Promise<BatchObject[]> {
    const prefix = `${area}/`;
    return [...this.files]
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => ({ name: k.slice(prefix.length), size: v.byteLength }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  async delete(area: BatchArea, name: string) {
    assertBatchName(name);
    this.files.delete(`${area}/${name}`);
  }
  async adopt(from: BatchArea, foreignName: string, to: BatchArea, name: string) {
    assertForeignName(foreignName);
    assertBatchName(name);
    const data = this.files.get(`${from}/${foreignName}`);
    if (!data) throw new Error(`no file ${from}/${foreignName}`);
    this.files.set(`${to}/${name}`, data);
    this.files.delete(`${from}/${foreignName}`);
  }
  async ping() {}
}
