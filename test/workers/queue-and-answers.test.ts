// The queue and answers on the response network inside workerd (test/shared/queue-and-answers.suite.ts).
import { queueAndAnswersSuite } from "../shared/queue-and-answers.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

queueAndAnswersSuite(workerRequestsHarness());
