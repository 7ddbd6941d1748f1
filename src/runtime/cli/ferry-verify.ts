// `airlock-ferry verify FILE…`: batch files checked offline, as an import would check them.
import { readFile } from "node:fs/promises";
import { verifyFiles } from "../../transfer/batch/cli-verify.ts";
import { mergePeerKeys, parsePeerKeys, type PeerKeySet } from "../../transfer/batch/keys.ts";
import { readFileLimited } from "../node/batch-folder.ts";
import { UsageError, type OptionValues } from "./args.ts";
import type { Run } from "./ferry-output.ts";

export async function verifyCommand(files: string[], v: OptionValues, r: Run): Promise<number> {
  const { io, stdout } = r;
  if (files.length === 0) throw new UsageError("verify: no batch files given");
  let peerKeys: PeerKeySet;
  const keyFiles = (v["public-key"] as string[] | undefined) ?? [];
  try {
    if (keyFiles.length > 0) {
      peerKeys = mergePeerKeys(
        ...(await Promise.all(keyFiles.map(async (f) => parsePeerKeys(await readFile(r.path(f), "utf8")).catch((e: Error) => Promise.reject(new Error(`${f}: ${e.message}`)))))),
      );
    } else if (io.env.AIRLOCK_PEER_PUBLIC_KEYS) {
      peerKeys = await parsePeerKeys(io.env.AIRLOCK_PEER_PUBLIC_KEYS);
    } else {
      throw new UsageError("missing --public-key FILE (the sending network's public JWK), or AIRLOCK_PEER_PUBLIC_KEYS");
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot load the public key(s): ${(e as Error).message}`);
  }
  const { ok, results } = await verifyFiles(files, {
    readFile: (path, maxBytes) => readFileLimited(r.path(path), maxBytes),
    peerKeys,
    destination: typeof v.destination === "string" ? v.destination : null,
  });
  if (v.json) {
    stdout(
      JSON.stringify({
        command: "verify",
        ok,
        files: results.map((r) =>
          r.ok
            ? {
                file: r.file,
                ok: true,
                batch_id: r.manifest.batch_id,
                sequence: r.manifest.sequence,
                records: r.records,
                sealed: r.sealed,
                source: r.manifest.source,
                destination: r.manifest.destination,
              }
            : { file: r.file, ok: false, code: r.code, reason: r.reason },
        ),
      }),
    );
  } else {
    for (const r of results) stdout(r.line);
    const failed = results.filter((r) => !r.ok).length;
    stdout(`verified ${results.length - failed} of ${results.length} file(s); ${failed} failed`);
  }
  return ok ? 0 : 1;
}
