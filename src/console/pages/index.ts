import type { ConsolePage } from "../page.ts";
import { homePage } from "./home.tsx";
import { transferPage } from "./transfer/page.tsx";
import { transferDownloadPage } from "./transfer/download.ts";
import { cachePage } from "./cache.tsx";
import { auditPage } from "./audit.tsx";
import { queuePage } from "./queue/list.tsx";
import { queueItemPage } from "./queue/detail.tsx";
import { usersPage } from "./users/list.tsx";
import { newUserPage } from "./users/new.tsx";
import { userPage } from "./users/detail.tsx";
import { myRequestsPage } from "./requests/list.tsx";
import { requestDetailPage } from "./requests/detail.tsx";
import { keysPage } from "./keys/page.tsx";
import { searchPage } from "./search.tsx";

/** Every console page, in nav order (a fixed path before a `:id` one beside it: /console/users/new before /console/users/:id). */
export const PAGES: ConsolePage[] = [
  homePage,
  queuePage,
  queueItemPage,
  myRequestsPage,
  requestDetailPage,
  searchPage,
  usersPage,
  newUserPage,
  userPage,
  keysPage,
  transferPage,
  transferDownloadPage,
  cachePage,
  auditPage,
];
