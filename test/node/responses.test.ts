// Reading a request's response on Node (test/shared/responses.suite.ts).
import { responsesSuite } from "../shared/responses.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";

responsesSuite(nodeRequestsHarness());
