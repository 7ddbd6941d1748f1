// The courier's folder of batch files on disk (NodeBatchFolder).
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir, useFerryFixtures } from "../helpers/fake-network.ts";
import { formatBytes } from "../../src/transfer/ferry/index.ts";
import { NodeBatchFolder } from "../../src/runtime/node/batch-folder.ts";

useFerryFixtures();

describe("NodeBatchFolder", () => {
  it("writes atomically, lists only regular visible files, removes idempotently", async () => {
    const dir = await tempDir();
    const f = new NodeBatchFolder(join(dir, "new"), { create: true });
    expect(await f.list()).toEqual([]);
    await f.write("a.batch", new Uint8Array([1, 2, 3]));
    await writeFile(join(dir, "new", ".a.batch.123.tmp"), "partial");
    await mkdir(join(dir, "new", "sub"));
    expect(await f.list()).toEqual([{ name: "a.batch", size: 3 }]);
    expect((await stat(join(dir, "new", "a.batch"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "new"))).mode & 0o777).toBe(0o700);
    await expect(f.write("../x", new Uint8Array([1]))).rejects.toThrow(/invalid batch file name/);
    await expect(f.read("../x")).rejects.toThrow(/invalid file name/);
    await f.remove("a.batch");
    await f.remove("a.batch");
    expect(await f.list()).toEqual([]);
    expect(formatBytes(12_697)).toBe("12.4 KB");
  });
});
