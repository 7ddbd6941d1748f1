// The response cache and Redis failures on Node (test/shared/response-cache.suite.ts).
import { responseCacheSuite } from "../shared/response-cache.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";

responseCacheSuite(nodeRequestsHarness({ faults: true }));
