import type { App } from "../../../http/router.ts";
import { registerUsersList } from "./list.ts";
import { registerUsersCreate } from "./create.ts";
import { registerUsersGet } from "./get.ts";
import { registerUsersUpdate } from "./update.ts";
import { registerUsersDelete } from "./delete.ts";

/** User administration: reads on both networks, writes on the response network (which owns the users). */
export function registerUserAdminRoutes(app: App) {
  registerUsersList(app);
  registerUsersCreate(app);
  registerUsersGet(app);
  registerUsersUpdate(app);
  registerUsersDelete(app);
}
