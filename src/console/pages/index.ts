import type { ConsolePage } from "../page.ts";
import { homePage } from "./home.tsx";
import { auditPage } from "./audit.tsx";

/** Every console page, in nav order. */
export const PAGES: ConsolePage[] = [homePage, auditPage];
