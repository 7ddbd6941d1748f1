// Reading and listing requests inside workerd (test/shared/requests-read.suite.ts).
import { requestsReadSuite } from "../shared/requests-read.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

requestsReadSuite(workerRequestsHarness());
