// Submitting requests on Node (test/shared/requests-submit.suite.ts).
import { requestsSubmitSuite } from "../shared/requests-submit.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";

requestsSubmitSuite(nodeRequestsHarness());
