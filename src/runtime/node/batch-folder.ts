/**
 * BatchFolder on a directory, for Node and Deno (both have node:fs): the disk side of the ferry,
 * which itself (src/transfer/ferry/) stays runtime-neutral.
 *
 * Writes go to a hidden temporary file in the same directory, are flushed, then renamed over the
 * final name, so a reader (or a crash) never sees a partial batch. Hidden files (a leading dot:
 * our own temporaries, editor droppings) are never listed. New files are mode 0600 and created
 * folders 0700.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { assertSafeBatchFileName, type BatchFolder, type BatchFolderEntry } from "../../transfer/ferry/folder.ts";
import type { ReadFileFn } from "../../transfer/batch/cli-verify.ts";

/** Reads at most maxBytes: an oversized file is refused by its size without being loaded (offline verify). */
export const readFileLimited: ReadFileFn = async (path, maxBytes) => {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) return { size };
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
};

export class NodeBatchFolder implements BatchFolder {
  readonly label: string;

  /** `create`: make the directory (and parents) on first write; listing a missing directory gives nothing. `label`: for messages (default: dir). */
  constructor(
    readonly dir: string,
    private readonly options: { create?: boolean; label?: string } = {},
  ) {
    this.label = options.label ?? dir;
  }

  async list(): Promise<BatchFolderEntry[]> {
    let entries;
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && this.options.create) return [];
      throw e;
    }
    const out: BatchFolderEntry[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(this.dir, entry.name);
      // Follow symlinks to regular files (a courier may link files in); skip directories and the rest.
      const info = await stat(path).catch(() => null);
      if (info?.isFile()) out.push({ name: entry.name, size: info.size });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async read(name: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.path(name)));
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    assertSafeBatchFileName(name);
    if (this.options.create) await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.${name}.${crypto.randomUUID()}.tmp`);
    let renamed = false;
    try {
      // Owner-only: batches carry users' data (requests, answers, account records).
      const handle = await open(tmp, "wx", 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, join(this.dir, name));
      renamed = true;
    } finally {
      if (!renamed) await unlink(tmp).catch(() => {});
    }
    // Persist the rename itself; not every platform lets a directory be opened, so best effort.
    const dirHandle = await open(this.dir, "r").catch(() => null);
    if (dirHandle)
      await dirHandle
        .sync()
        .catch(() => {})
        .finally(() => dirHandle.close());
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  /** Local names come from `list()` or the server; either way, never a path outside the folder. */
  private path(name: string): string {
    if (name.includes("/") || name.includes("\\") || name === "." || name === ".." || name === "") throw new Error(`invalid file name: ${JSON.stringify(name)}`);
    return join(this.dir, name);
  }
}
