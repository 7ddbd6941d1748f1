// Sealing, side by side (run by `npm run bench:transfer` after the export/import case): the same
// 5,000 user records built and verified in the clear (format 2) and sealed (format 3),
// alternating, five rounds; medians and their ratio.
//   npx tsx scripts/bench/sealing.ts
import { buildBatch, parseEncryptionKeys, parsePeerKeys, parseRecipientKey, verifyBatch, ZERO_HASH } from "../../src/transfer/batch/index.ts";
import { generateNetworkKeys } from "../../src/transfer/batch/network-keys.ts";
import { user } from "./lib/users.ts";

const keys = { request: await generateNetworkKeys(), response: await generateNetworkKeys() };
const sample = Array.from({ length: 5_000 }, (_, i) => user(i)).map((u) => ({ kind: "user", id: u.id, version: 1, data: u as unknown as Record<string, unknown> }));
const signing = { privateJwk: keys.response.signing.privateJwk, keyId: keys.response.signing.keyId };
const seal = { recipient: await parseRecipientKey(keys.request.encryption.publicJwk), sender: (await parseEncryptionKeys([keys.response.encryption.privateJwk])).current };
const verifyWith = {
  expectedDestination: "airlock-request",
  peerKeys: await parsePeerKeys([keys.response.signing.publicJwk]),
  openingKeys: (await parseEncryptionKeys([keys.request.encryption.privateJwk])).opening,
};
const timings: Record<"plain" | "sealed", { build: number[]; verify: number[]; bytes: number }> = {
  plain: { build: [], verify: [], bytes: 0 },
  sealed: { build: [], verify: [], bytes: 0 },
};
for (let round = 0; round < 5; round++) {
  for (const mode of ["plain", "sealed"] as const) {
    let t = performance.now();
    const built = await buildBatch({
      records: sample,
      source: "airlock-response",
      destination: "airlock-request",
      sequence: 1,
      prevHash: ZERO_HASH,
      ack: 0,
      ttlMs: 3_600_000,
      signingKey: signing,
      ...(mode === "sealed" ? { seal } : {}),
    });
    timings[mode].build.push(performance.now() - t);
    timings[mode].bytes = built.file.length;
    t = performance.now();
    const v = await verifyBatch(built.file, verifyWith);
    timings[mode].verify.push(performance.now() - t);
    if (!v.ok || v.records.length !== sample.length) throw new Error(`verify ${mode}: ${v.ok ? "records" : v.reason}`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nSealing a batch of ${sample.length.toLocaleString("en-US")} user records (medians of 5 alternating rounds)\n`);
console.log("| step | in the clear (format 2) | sealed (format 3) | sealed / clear |");
console.log("| --- | ---: | ---: | ---: |");
for (const step of ["build", "verify"] as const) {
  const [a, b] = [median(timings.plain[step]), median(timings.sealed[step])];
  console.log(`| ${step} | ${a.toFixed(1)} ms | ${b.toFixed(1)} ms | ${(b / a).toFixed(2)} |`);
}
console.log(
  `| file size | ${(timings.plain.bytes / 1024).toFixed(0)} KiB | ${(timings.sealed.bytes / 1024).toFixed(0)} KiB | ${(timings.sealed.bytes / timings.plain.bytes).toFixed(3)} |`,
);
