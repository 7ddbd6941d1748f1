import { foundationSuite } from "../shared/foundation.suite.ts";
import { workerHarness } from "./harness.ts";

foundationSuite(workerHarness);
