/**
 * The courier's folder of batch files, behind a tiny interface so the ferry itself stays
 * runtime-neutral. `NodeBatchFolder` (src/runtime/node/batch-folder.ts) is the disk implementation (Node and
 * Deno); `MemoryBatchFolder` serves tests.
 */

export interface BatchFolderEntry {
  name: string;
  size: number;
}

export interface BatchFolder {
  /** Regular files only; temporary files of an unfinished write are never listed. */
  list(): Promise<BatchFolderEntry[]>;
  read(name: string): Promise<Uint8Array>;
  /** Atomic: readers see the whole file or nothing (temporary name + rename on disk). */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Removing a file that is already gone is not an error. */
  remove(name: string): Promise<void>;
  /** For messages only (a path, or "memory"). */
  readonly label?: string;
}

/**
 * Names a ferry is willing to create: the same rule as the batch stores' (src/deps/batch-store).
 * A name from a server listing is refused unless it passes, so a hostile listing can never
 * write outside the folder (no "/", no "..", no leading dot, nothing else but [A-Za-z0-9._-]).
 */
export function isSafeBatchFileName(name: unknown): name is string {
  return typeof name === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !name.includes("..");
}

export function assertSafeBatchFileName(name: string): void {
  if (!isSafeBatchFileName(name)) throw new Error(`invalid batch file name: ${JSON.stringify(name)}`);
}

/** In memory; writes are trivially atomic. */
export class MemoryBatchFolder implements BatchFolder {
  readonly label = "memory";
  readonly files = new Map<string, Uint8Array>();

  async list(): Promise<BatchFolderEntry[]> {
    return [...this.files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, bytes]) => ({ name, size: bytes.length }));
  }

  async read(name: string): Promise<Uint8Array> {
    const bytes = this.files.get(name);
    if (!bytes) throw new Error(`no such file: ${name}`);
    return bytes.slice();
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    assertSafeBatchFileName(name);
    this.files.set(name, bytes.slice());
  }

  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }
}
