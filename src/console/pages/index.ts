import type { ConsolePage } from "../page.ts";
import { homePage } from "./home.tsx";
import { auditPage } from "./audit.tsx";
import { myRequestsPage } from "./requests/list.tsx";
import { requestDetailPage } from "./requests/detail.tsx";
import { keysPage } from "./keys/page.tsx";

/** Every console page, in nav order. */
export const PAGES: ConsolePage[] = [homePage, myRequestsPage, requestDetailPage, keysPage, auditPage];
