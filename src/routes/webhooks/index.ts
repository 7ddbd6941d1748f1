import type { App } from "../../http/router.ts";
import { registerWebhooksCreate } from "./create.ts";
import { registerWebhooksList } from "./list.ts";
import { registerWebhooksGet } from "./get.ts";
import { registerWebhooksDelete } from "./delete.ts";
import { registerWebhooksUpdate } from "./update.ts";
import { registerWebhookDeliveriesList } from "./deliveries-list.ts";
import { registerWebhookRedeliver } from "./redeliver.ts";
import { registerWebhookRotateSecret } from "./rotate-secret.ts";

/** Webhook endpoints and their delivery logs (both networks; users on the request network only): one route per file, registered here. */
export function registerWebhookRoutes(app: App) {
  registerWebhooksCreate(app);
  registerWebhooksList(app);
  registerWebhooksGet(app);
  registerWebhooksUpdate(app);
  registerWebhooksDelete(app);
  registerWebhookDeliveriesList(app);
  registerWebhookRedeliver(app);
  registerWebhookRotateSecret(app);
}
