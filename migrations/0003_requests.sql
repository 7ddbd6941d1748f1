CREATE INDEX `request_events_status_at` ON `request_events` (`status`,`at`);--> statement-breakpoint
CREATE INDEX `requests_created` ON `requests` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `requests_status_answered` ON `requests` (`status`,`answered_at`);