CREATE TABLE `alert_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`alert` text NOT NULL,
	`state` text NOT NULL,
	`at` text NOT NULL,
	`details` text,
	`delivered_at` text
);
--> statement-breakpoint
CREATE INDEX `alert_events_alert_at` ON `alert_events` (`alert`,`at`);--> statement-breakpoint
CREATE INDEX `alert_events_undelivered` ON `alert_events` (`delivered_at`,`id`);--> statement-breakpoint
CREATE TABLE `alerts` (
	`name` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`since` text NOT NULL,
	`last_evaluated` text NOT NULL,
	`details` text
);
