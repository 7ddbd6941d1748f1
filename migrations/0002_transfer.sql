ALTER TABLE `batches_in` ADD `batch_id` text;--> statement-breakpoint
ALTER TABLE `batches_in` ADD `body_sha256` text;--> statement-breakpoint
CREATE INDEX `batches_in_file` ON `batches_in` (`file_sha256`);--> statement-breakpoint
ALTER TABLE `batches_out` ADD `body_sha256` text DEFAULT '' NOT NULL;