import type { App } from "../../http/router.ts";
import { registerRequestsSubmit } from "./submit.ts";
import { registerRequestsList } from "./list.ts";
import { registerRequestsGet } from "./get.ts";
import { registerRequestsCancel } from "./cancel.ts";
import { registerRequestsResponseGet } from "./response-get.ts";
import { registerRequestsAnswer } from "./answer.ts";
import { registerRequestsReject } from "./reject.ts";

/** Requests and their responses: one route per file, registered here. */
export function registerRequestRoutes(app: App) {
  registerRequestsSubmit(app);
  registerRequestsList(app);
  registerRequestsGet(app);
  registerRequestsCancel(app);
  registerRequestsResponseGet(app);
  registerRequestsAnswer(app);
  registerRequestsReject(app);
}
