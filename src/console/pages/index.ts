import type { ConsolePage } from "../page.ts";
import { homePage } from "./home.tsx";
import { transferPage } from "./transfer/page.tsx";
import { transferDownloadPage } from "./transfer/download.ts";
import { cachePage } from "./cache.tsx";
import { auditPage } from "./audit.tsx";

/** Every console page, in nav order. */
export const PAGES: ConsolePage[] = [homePage, transferPage, transferDownloadPage, cachePage, auditPage];
