// Waiting reads inside workerd (test/shared/requests-wait.suite.ts).
import { requestsWaitSuite } from "../shared/requests-wait.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

requestsWaitSuite(workerRequestsHarness());
