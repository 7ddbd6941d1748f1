/** Kept equal to package.json's version (a test checks); importing JSON differs across runtimes. */
export const VERSION = "0.1.0";
export const NAME = "airlock";
