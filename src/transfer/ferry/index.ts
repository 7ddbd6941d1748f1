/** The courier (ferry): HTTP client, pull/push/carry, automatic local ferry. Runtime-neutral; the disk folder is src/runtime/node/batch-folder.ts. */
export { TransferClient, FerryError, normalizeBaseUrl, isCleartextRemote, redactUrl, errorInfo, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, INBOX_OUTCOMES } from "./client.ts";
export type { Endpoint, ClientOptions, RetryPolicy, RetryInfo, OutboxItem, InboxOutcome, InboxResult, FerryErrorInfo, FerryErrorKind } from "./client.ts";
export { pull, push, carry, formatBytes, summaryLine } from "./ferry.ts";
export type { PullOptions, PushOptions, CarryOptions, PullSummary, PushSummary, CarrySummary, PullFileResult, PushFileResult, PullStatus, PushStatus, FerryEvent, FerryPhase } from "./ferry.ts";
export { MemoryBatchFolder, isSafeBatchFileName, assertSafeBatchFileName } from "./folder.ts";
export type { BatchFolder, BatchFolderEntry } from "./folder.ts";
export { startAutoFerry } from "./auto.ts";
export type { AutoFerry, AutoFerryOptions, FerryDirection } from "./auto.ts";
