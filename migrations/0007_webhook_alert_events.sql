ALTER TABLE `webhook_deliveries` ADD `alert_event_id` integer;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_alert_once` ON `webhook_deliveries` (`endpoint_id`,`alert_event_id`);