/**
 * The courier (ferry): its operations, shared by the CLI (src/runtime/cli/ferry.ts) and `npm start`'s
 * automatic local ferry (auto.ts). Runtime-neutral: HTTP through TransferClient, files through
 * BatchFolder; the disk folder is src/runtime/node/batch-folder.ts.
 *
 *   pull   a network's outbox → a folder     (pull.ts; only verified bytes are written, atomically)
 *   push   a folder → a network's inbox      (push.ts; in sequence order; a local file is deleted
 *                                             only after the destination answered applied/replay)
 *   carry  pull, then push what the source listed (carry.ts); nothing is ever deleted at the source:
 *          it keeps its batches until the other side acknowledges them inside its own batches.
 *
 * Each resolves with a structured summary (summary.ts); a failure of one file is recorded in the
 * summary and the others go on. Only a failure that stops the whole operation (the listing cannot
 * be read, the folder cannot be listed, cancellation) rejects, with a FerryError (errors.ts).
 * The client is client.ts (the endpoints), http.ts (requests, retries, URLs) and wire.ts (what
 * the endpoints send and answer, and the digest checks).
 */
export { TransferClient } from "./client.ts";
export type { Endpoint, ClientOptions } from "./client.ts";
export { FerryError, errorInfo } from "./errors.ts";
export type { FerryErrorInfo, FerryErrorKind } from "./errors.ts";
export { normalizeBaseUrl, isCleartextRemote, redactUrl, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS } from "./http.ts";
export type { RetryPolicy, RetryInfo } from "./http.ts";
export { INBOX_OUTCOMES } from "./wire.ts";
export type { OutboxItem, InboxOutcome, InboxResult } from "./wire.ts";
export { pull } from "./pull.ts";
export type { PullOptions } from "./pull.ts";
export { push } from "./push.ts";
export type { PushOptions } from "./push.ts";
export { carry } from "./carry.ts";
export type { CarryOptions } from "./carry.ts";
export { formatBytes, summaryLine } from "./summary.ts";
export type { PullSummary, PushSummary, CarrySummary, PullFileResult, PushFileResult, PullStatus, PushStatus, FerryEvent, FerryPhase } from "./summary.ts";
export { MemoryBatchFolder, isSafeBatchFileName, assertSafeBatchFileName } from "./folder.ts";
export type { BatchFolder, BatchFolderEntry } from "./folder.ts";
export { startAutoFerry } from "./auto.ts";
export type { AutoFerry, AutoFerryOptions, FerryDirection } from "./auto.ts";
