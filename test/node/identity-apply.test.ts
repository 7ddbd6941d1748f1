import { identityApplySuite } from "../shared/identity-apply.suite.ts";
import { nodeServices } from "../helpers/node-app.ts";

identityApplySuite({ runtime: "node", replica: () => nodeServices({ NETWORK_ROLE: "request" }) });
