// Reading and listing requests on Node (test/shared/requests-read.suite.ts).
import { requestsReadSuite } from "../shared/requests-read.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";

requestsReadSuite(nodeRequestsHarness());
