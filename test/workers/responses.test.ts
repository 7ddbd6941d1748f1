// Reading a request's response inside workerd (test/shared/responses.suite.ts).
import { responsesSuite } from "../shared/responses.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

responsesSuite(workerRequestsHarness());
