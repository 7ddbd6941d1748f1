import { chromium, type Browser } from "playwright-core";
import { chromiumExecutable } from "../../scripts/pretest.ts";

/** Chromium as scripts/pretest.ts finds it (CHROMIUM_PATH, else `chromium` on the PATH), headless, with no background traffic: this machine has no internet. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumExecutable() ?? "chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
