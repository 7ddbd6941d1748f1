import { foundationSuite } from "../shared/foundation.suite.ts";
import { nodeApp } from "../helpers/node-app.ts";

foundationSuite({ runtime: "node", app: (extend, o) => nodeApp(o?.role ? { NETWORK_ROLE: o.role } : {}, extend) });
