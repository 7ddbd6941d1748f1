// The queue and answers on the response network on Node (test/shared/queue-and-answers.suite.ts).
import { queueAndAnswersSuite } from "../shared/queue-and-answers.suite.ts";
import { nodeRequestsHarness } from "../helpers/requests-node-harness.ts";

queueAndAnswersSuite(nodeRequestsHarness());
