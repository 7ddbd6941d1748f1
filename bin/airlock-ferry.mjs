#!/usr/bin/env node
// `npx airlock-ferry <command>`: runs the courier CLI (scripts/ferry.ts) through tsx, so the
// TypeScript sources run as they are, without a build step.
import { register } from "tsx/esm/api";

register();
await import("../scripts/ferry.ts");
