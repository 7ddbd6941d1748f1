/** The batch file module: format, keys, writer, verifier. See docs/transfer.md "Batch format". */
export { MAGIC, encodeBatchFile, decodeBatchFile } from "./format.ts";
export { sha256Hex, ZERO_HASH } from "./hash.ts";
export { generateSigningKey, importPrivateKey, importPublicKey, parseSigningKey, parsePeerKeys, mergePeerKeys, keyIdOf, SIGNING_ALG } from "./keys.ts";
export type { PeerKeySet, SigningKeyPair } from "./keys.ts";
export { FORMAT_VERSION, READABLE_FORMATS, manifestV1Schema, manifestV2Schema, manifestV3Schema, recordSchema } from "./manifest.ts";
export type { Manifest, SignedManifest, BatchRecord } from "./manifest.ts";
export { generateEncryptionKey, parseEncryptionKeys, parseRecipientKey } from "./seal.ts";
export type { EncryptionKeyPair, OwnEncryptionKeys, RecipientKey } from "./seal.ts";
export { buildBatch, splitRecords, takeGroup, takeLines, signManifest } from "./write.ts";
export { encodeRecordLine, storedRecordLine, utf8Length } from "./records.ts";
export type { StoredRecord } from "./records.ts";
export type { BuildBatchInput, BuiltBatch, SealTo, SigningKeyInput, SplitLimits } from "./write.ts";
export { verifyBatch, verifyEnvelope, readManifestUnverified, unverifiedManifestOf, readOwnBatch, DEFAULT_LIMITS } from "./read.ts";
export type { VerifyResult, VerifyFailure, VerifyFailureCode, VerifyLimits, VerifyOptions, UnverifiedManifest } from "./read.ts";
export { verifyFiles } from "./cli-verify.ts";
export type { FileVerdict, VerifyFilesOptions, ReadFileFn } from "./cli-verify.ts";
