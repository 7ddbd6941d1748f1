import { httpLayerSuite } from "../shared/http-layer.suite.ts";
import { workerHarness } from "./harness.ts";

httpLayerSuite(workerHarness);
