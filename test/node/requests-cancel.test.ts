// Cancelling requests on Node (test/shared/requests-cancel.suite.ts).
import { requestsCancelSuite } from "../shared/requests-cancel.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";

requestsCancelSuite(nodeRequestsHarness());
