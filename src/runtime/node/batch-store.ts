import { mkdir, readFile, readdir, rename, rm, stat, writeFile, access } from "node:fs/promises";
import { join } from "node:path";
import { assertBatchName, assertForeignName, type BatchArea, type BatchObject, type BatchStore } from "../../deps/batch-store/batch-store.ts";

/** Batch store on a directory (Node and Deno): `<dir>/<area>/<name>`, written as temp file + rename. */
export class FsBatchStore implements BatchStore {
  readonly kind = "fs" as const;
  constructor(private dir: string) {}

  private async areaDir(area: BatchArea) {
    const d = join(this.dir, area);
    await mkdir(d, { recursive: true });
    return d;
  }

  async put(area: BatchArea, name: string, data: Uint8Array) {
    assertBatchName(name);
    const d = await this.areaDir(area);
    const tmp = join(d, `.${name}.${crypto.randomUUID()}.tmp`);
    await writeFile(tmp, data);
    await rename(tmp, join(d, name));
  }

  async get(area: BatchArea, name: string) {
    assertBatchName(name);
    try {
      return new Uint8Array(await readFile(join(this.dir, area, name)));
    } catch (e) {
      if ((e as { code?: string }).code === "ENOENT") return null;
      throw e;
    }
  }

  async list(area: BatchArea): Promise<BatchObject[]> {
    const d = await this.areaDir(area);
    const names = (await readdir(d)).filter((n) => !n.startsWith(".")).sort();
    return Promise.all(names.map(async (name) => ({ name, size: (await stat(join(d, name))).size })));
  }

  async delete(area: BatchArea, name: string) {
    assertBatchName(name);
    await rm(join(this.dir, area, name), { force: true });
  }

  async adopt(from: BatchArea, foreignName: string, to: BatchArea, name: string) {
    assertForeignName(foreignName);
    assertBatchName(name);
    const d = await this.areaDir(to);
    await rename(join(this.dir, from, foreignName), join(d, name));
  }

  async ping() {
    await mkdir(this.dir, { recursive: true });
    await access(this.dir);
  }
}
