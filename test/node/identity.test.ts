import { identitySuite } from "../shared/identity.suite.ts";
import { nodeApp } from "../helpers/node-app.ts";

identitySuite({ runtime: "node", app: (extend, o) => nodeApp(o?.role ? { NETWORK_ROLE: o.role } : {}, extend) });
