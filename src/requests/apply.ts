/**
 * What the importer calls to apply requests, statuses and responses (their
 * record kinds, src/requests/kinds.ts; docs/requests.md "Applying records"). The
 * records were validated against their kind's schema before. Each function
 * only BUILDS statements; the importer runs a whole batch's statements in one
 * atomic `db.batch`. Applying an older or equal version is a no-op, so a batch
 * applied twice changes nothing the second time.
 *
 * Set-based: a chunk of records travels as ONE JSON text parameter and each
 * statement reads it with `json_each(?)`, so the statement count does not grow
 * with the records, and every statement stays far below D1's limits (100 bound
 * parameters, 100 KB of SQL). Within one call, records for the same entity are
 * merged first (the highest version wins; status events are kept from all).
 *
 * Statement order matters: the events and outbox rows are inserted BEFORE the
 * upsert, while their conditions can still see the stored (old) versions.
 * Joins with stored rows are written `json_each(?) CROSS JOIN requests` so
 * SQLite walks the records and looks rows up by primary key (a plain JOIN let
 * the planner scan requests by status and re-read the JSON for each row).
 *
 * By network: apply-response-network.ts (the master applies requests),
 * apply-request-network.ts (the replica applies statuses and responses, marks
 * requests exported, invalidates cached responses); apply-sql.ts what both share.
 */
export { applyRequests } from "./apply-response-network.ts";
export { afterApply, applyRequestStatuses, applyResponses, markExported, type AppliedRecord } from "./apply-request-network.ts";
