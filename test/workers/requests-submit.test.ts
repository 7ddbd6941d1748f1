// Submitting requests inside workerd (test/shared/requests-submit.suite.ts).
import { requestsSubmitSuite } from "../shared/requests-submit.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

requestsSubmitSuite(workerRequestsHarness());
