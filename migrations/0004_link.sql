CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`side` text NOT NULL,
	`batch_sequence` integer,
	`kind` text NOT NULL,
	`record_id` text NOT NULL,
	`record_version` integer,
	`schema_version` integer,
	`record` text,
	`reason` text NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`resolved_at` text,
	`resolved_by` text
);
--> statement-breakpoint
CREATE INDEX `dead_letters_side_status` ON `dead_letters` (`side`,`status`,`created_at`);--> statement-breakpoint
ALTER TABLE `batches_in` ADD `supersedes` text;--> statement-breakpoint
ALTER TABLE `batches_out` ADD `superseded_bodies` text;--> statement-breakpoint
ALTER TABLE `batches_out` ADD `peer_outcome` text;--> statement-breakpoint
ALTER TABLE `batches_out` ADD `peer_reason` text;