import { identitySuite } from "../shared/identity.suite.ts";
import { workerHarness } from "./harness.ts";

identitySuite(workerHarness);
