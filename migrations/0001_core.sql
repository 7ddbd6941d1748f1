CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`scopes` text DEFAULT '[]' NOT NULL,
	`rate_limits` text,
	`expires_at` text,
	`last_used_at` text,
	`created_at` text NOT NULL,
	`revoked_at` text,
	`revoked_by` text,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_user` ON `api_keys` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`at` text NOT NULL,
	`network` text NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`action` text NOT NULL,
	`target_type` text,
	`target_id` text,
	`outcome` text DEFAULT 'success' NOT NULL,
	`request_id` text,
	`ip` text,
	`details` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_log_id_unique` ON `audit_log` (`id`);--> statement-breakpoint
CREATE INDEX `audit_action_at` ON `audit_log` (`action`,`at`);--> statement-breakpoint
CREATE INDEX `audit_actor` ON `audit_log` (`actor_id`,`at`);--> statement-breakpoint
CREATE INDEX `audit_target` ON `audit_log` (`target_id`);--> statement-breakpoint
CREATE TABLE `batch_guard` (
	`ok` integer NOT NULL,
	CONSTRAINT "batch_guard_failed" CHECK("batch_guard"."ok" = 1)
);
--> statement-breakpoint
CREATE TABLE `batches_in` (
	`id` text PRIMARY KEY NOT NULL,
	`sequence` integer,
	`source_network` text,
	`file_name` text NOT NULL,
	`file_sha256` text NOT NULL,
	`bytes` integer NOT NULL,
	`records` integer,
	`outcome` text NOT NULL,
	`reason` text,
	`received_at` text NOT NULL,
	`applied_at` text,
	`attempts` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `batches_in_sequence` ON `batches_in` (`sequence`);--> statement-breakpoint
CREATE INDEX `batches_in_outcome` ON `batches_in` (`outcome`,`sequence`);--> statement-breakpoint
CREATE TABLE `batches_out` (
	`sequence` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`file_name` text NOT NULL,
	`records` integer NOT NULL,
	`bytes` integer NOT NULL,
	`file_sha256` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`acknowledged_at` text,
	`resent_count` integer DEFAULT 0 NOT NULL,
	`last_resent_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `batches_out_id_unique` ON `batches_out` (`id`);--> statement-breakpoint
CREATE TABLE `cache_stats_snapshots` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`stats` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`user_id` text NOT NULL,
	`key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`state` text NOT NULL,
	`status_code` integer,
	`response_body` text,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idempotency_pk` ON `idempotency_keys` (`user_id`,`key`);--> statement-breakpoint
CREATE INDEX `idempotency_expires` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`entity_id` text NOT NULL,
	`version` integer NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL,
	`batch_sequence` integer
);
--> statement-breakpoint
CREATE INDEX `outbox_pending` ON `outbox` (`batch_sequence`,`seq`);--> statement-breakpoint
CREATE TABLE `peer_audit_log` (
	`network` text NOT NULL,
	`seq` integer NOT NULL,
	`entry` text NOT NULL,
	`hash` text NOT NULL,
	`prev_hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `peer_audit_pk` ON `peer_audit_log` (`network`,`seq`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`family_id` text NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_token_hash_unique` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `request_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`request_id` text NOT NULL,
	`status` text NOT NULL,
	`at` text NOT NULL,
	`network` text NOT NULL,
	`batch_sequence` integer,
	`detail` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `request_events_once` ON `request_events` (`request_id`,`status`,`network`);--> statement-breakpoint
CREATE INDEX `request_events_request` ON `request_events` (`request_id`,`at`);--> statement-breakpoint
CREATE TABLE `requests` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`api_key_id` text,
	`topic` text NOT NULL,
	`body` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`cancelled_at` text,
	`replica_version` integer DEFAULT 1 NOT NULL,
	`master_version` integer DEFAULT 0 NOT NULL,
	`answered_at` text,
	`claimed_by` text,
	`claim_expires_at` text,
	`processor_attempts` integer DEFAULT 0 NOT NULL,
	`processor_next_at` text,
	`processor_error` text
);
--> statement-breakpoint
CREATE INDEX `requests_user_created` ON `requests` (`user_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `requests_status_created` ON `requests` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `responses` (
	`request_id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`body` text,
	`content_type` text,
	`reason` text,
	`answered_by` text,
	`answered_at` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`delivered_sequence` integer
);
--> statement-breakpoint
CREATE TABLE `transfer_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`email_normalized` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`password_hash` text NOT NULL,
	`rate_limits` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_normalized_unique` ON `users` (`email_normalized`);--> statement-breakpoint
CREATE INDEX `users_created` ON `users` (`created_at`,`id`);