// Full-text search on Node (test/shared/search.suite.ts).
import { searchSuite } from "../shared/search.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";

searchSuite(nodeRequestsHarness());
