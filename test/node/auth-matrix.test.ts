import { authMatrixSuite } from "../shared/auth-matrix.suite.ts";
import { nodeApp } from "../helpers/node-app.ts";

authMatrixSuite({ runtime: "node", app: (extend, o) => nodeApp(o?.role ? { NETWORK_ROLE: o.role } : {}, extend) });
