import { authMatrixSuite } from "../shared/auth-matrix.suite.ts";
import { workerHarness } from "./harness.ts";

authMatrixSuite(workerHarness);
