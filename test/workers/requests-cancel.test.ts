// Cancelling requests inside workerd (test/shared/requests-cancel.suite.ts).
import { requestsCancelSuite } from "../shared/requests-cancel.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

requestsCancelSuite(workerRequestsHarness());
