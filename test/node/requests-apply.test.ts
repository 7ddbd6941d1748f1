import { requestsApplySuite } from "../shared/requests-apply.suite.ts";
import { nodeServices } from "../helpers/node-app.ts";

requestsApplySuite({ runtime: "node", services: (role) => nodeServices({ NETWORK_ROLE: role }) });
