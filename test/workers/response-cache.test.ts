// The response cache and Redis failures inside workerd (test/shared/response-cache.suite.ts).
import { responseCacheSuite } from "../shared/response-cache.suite.ts";
import { workerRequestsHarness } from "./requests-harness.ts";

responseCacheSuite(workerRequestsHarness());
