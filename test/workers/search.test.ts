// Full-text search inside workerd (test/shared/search.suite.ts).
import { searchSuite } from "../shared/search.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

searchSuite(workerRequestsHarness());
