// Full-text search (GET /v1/search): matching, snippets as plain-text segments, the access rules
// (a user finds only their own requests, operators and admins everything), queries that would be
// FTS5 syntax answered 400 or searched as words (never a 500), paging, and the index kept in step
// by the import paths (answers arriving on the request network, requests arriving on the master).
// On Node (libSQL) and inside workerd (D1); the entry files are test/node/search.test.ts and test/workers/search.test.ts.
import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { requestsKit, type Json, type RequestsHarness } from "./requests-harness.ts";
import { requestRecordFor, run } from "../helpers/requests-fixtures.ts";
import { applyRequests } from "../../src/requests/apply.ts";
import { MAX_QUERY_CHARS, MAX_QUERY_WORDS } from "../../src/requests/search-query.ts";
import { searchRequests } from "../../src/requests/search.ts";
import { requestRetention } from "../../src/requests/jobs.ts";
import type { Principal } from "../../src/identity/roles.ts";

type Hit = Json & { snippets: Array<{ field: string; segments: Array<{ text: string; hit: boolean }> }> };

export function searchSuite(h: RequestsHarness) {
  const { setup, problem } = requestsKit(h);

  const searcher =
    (call: Awaited<ReturnType<typeof setup>>["call"]) =>
    async (auth: string, q: string, extra = "") => {
      const res = await call(`/v1/search?q=${encodeURIComponent(q)}${extra}`, { auth });
      const text = await res.text();
      expect(res.status, `${q}: ${text.slice(0, 300)}`).toBe(200);
      expect(res.headers.get("cache-control")).toBe("private, no-store");
      return JSON.parse(text) as { items: Hit[]; next_cursor: string | null };
    };
  const ids = (r: { items: Hit[] }) => r.items.map((i) => i.id);
  /** The hit words of one field's snippet. */
  const hits = (item: Hit, field: string) =>
    item.snippets
      .find((s) => s.field === field)
      ?.segments.filter((g) => g.hit)
      .map((g) => g.text) ?? [];
  const plain = (item: Hit, field: string) =>
    item.snippets
      .find((s) => s.field === field)
      ?.segments.map((g) => g.text)
      .join("");

  describe(`search (${h.runtime})`, () => {
    it("request network: a user finds only their own requests, by topic, body and answer; admins find all; snippets are plain-text segments", async () => {
      const { call, session, submit, deliver, adminAuth } = await setup("request");
      const search = searcher(call);
      const alice = await session();
      const bob = await session();
      const a = (await submit(alice.auth, { topic: "tides", body: { q: "When is high tide at Brest?", port: "Brest", n: 42 } })).json;
      const b = (await submit(bob.auth, { topic: "weather", body: { q: "Will it rain in Brest tomorrow?" } })).json;
      expect(a.id && b.id).toBeTruthy();

      const mine = await search(alice.auth, "brest");
      expect(ids(mine)).toEqual([a.id]);
      expect(mine.items[0]).toMatchObject({ id: a.id, user_id: alice.user.id, topic: "tides", status: "submitted" });
      expect(hits(mine.items[0]!, "body")).toEqual(["Brest", "Brest"]);
      expect(plain(mine.items[0]!, "body")).toBe("When is high tide at Brest? Brest 42"); // string and number values, not the keys
      expect(mine.items[0]!.snippets.map((s) => s.field)).toEqual(["body"]);
      expect(ids(await search(bob.auth, "brest"))).toEqual([b.id]);
      expect(ids(await search(bob.auth, "high tide"))).toEqual([]); // alice's words, invisible to bob
      expect(ids(await search(await adminAuth(), "brest"))).toEqual([b.id, a.id]); // newest first
      const topic = await search(alice.auth, "tides");
      expect(topic.items[0]!.snippets).toEqual([{ field: "topic", segments: [{ text: "tides", hit: true }] }]);

      // The answer arrives by import; its words are found, the hit marks are ours alone (the
      // control characters used as marks are spaces in the index) and markup stays text.
      await deliver(a.id, 1, { response: { body: 'Coefficient 95 at 14:05 \u0002not a hit\u0003 <b onmouseover="x">bold</b>', content_type: "text/plain" } });
      const answered = await search(alice.auth, "coefficient");
      expect(ids(answered)).toEqual([a.id]);
      expect(answered.items[0]).toMatchObject({ status: "answered" });
      expect(answered.items[0]!.snippets).toEqual([
        {
          field: "answer",
          segments: [
            { text: "Coefficient", hit: true },
            { text: ' 95 at 14:05  not a hit  <b onmouseover="x">bold</b>', hit: false },
          ],
        },
      ]);
      expect(ids(await search(alice.auth, "14:05"))).toEqual([a.id]); // "14 05" as a phrase
      expect(ids(await search(bob.auth, "coefficient"))).toEqual([]);
      // A correction replaces the answer's words.
      await deliver(a.id, 2, { version: 4, response: { body: JSON.stringify({ answer: "corrected: neap tide" }), content_type: "application/json", version: 2 } });
      expect(ids(await search(alice.auth, "coefficient"))).toEqual([]);
      const corrected = await search(alice.auth, "neap");
      expect(hits(corrected.items[0]!, "answer")).toEqual(["neap"]);
    });

    it("response network: requests arriving by import and answers given here are found; operators see all, a user only their own", async () => {
      const { s, call, session } = await setup("response");
      const search = searcher(call);
      const operator = await session("operator");
      const user = await session();
      const theirs = requestRecordFor({ topic: "lighthouse", body: { q: "Is the Créach lighthouse lit?" } });
      const own = requestRecordFor({ user_id: user.user.id, topic: "lighthouse", body: { q: "Who keeps the Créach light?" } });
      await run(s, applyRequests(s, [theirs, own], { batchSequence: 1, receivedAt: s.clock.now().toISOString() }));
      expect(ids(await search(operator.auth, "creach"))).toEqual([own.id, theirs.id]); // diacritics folded, newest arrival first
      expect(ids(await search(user.auth, "lighthouse"))).toEqual([own.id]);

      const answer = await call(`/v1/requests/${theirs.id}/response`, { method: "POST", auth: operator.auth, body: { body: { text: "Yes, every night since 1863" } } });
      expect(answer.status, await answer.clone().text()).toBe(201);
      const found = await search(operator.auth, "1863");
      expect(ids(found)).toEqual([theirs.id]);
      expect(found.items[0]).toMatchObject({ status: "answered" });
      expect(hits(found.items[0]!, "answer")).toEqual(["1863"]);
      // A newer version of a request (imported again) replaces its words.
      await run(s, applyRequests(s, [{ ...own, body: { q: "Who keeps the Kéréon light?" }, version: 2 }], { batchSequence: 2, receivedAt: s.clock.now().toISOString() }));
      expect(ids(await search(operator.auth, "creach"))).toEqual([theirs.id]);
      expect(ids(await search(user.auth, "kereon"))).toEqual([own.id]);
    });

    it("the retention job's purge takes requests and their answers out of the index", async () => {
      const { s, call, session, submit, deliver, adminAuth } = await setup("request", { AIRLOCK_REQUEST_RETENTION_DAYS: "1" });
      const search = searcher(call);
      const me = await session();
      const old = (await submit(me.auth, { topic: "pilot", body: { q: "pilot boarding at dawn" } })).json;
      const kept = (await submit(me.auth, { topic: "pilot", body: { q: "pilot boarding at noon" } })).json;
      await deliver(old.id, 1, { response: { body: "boarding ladder starboard", content_type: "text/plain" } });
      await deliver(kept.id, 2, { response: { body: "boarding ladder port", content_type: "text/plain" } });
      await s.db.orm.run(sql`UPDATE requests SET updated_at = '2020-01-01T00:00:00.000Z' WHERE id = ${old.id}`);
      expect(ids(await search(me.auth, "ladder"))).toEqual([kept.id, old.id]);
      expect(await requestRetention(s)).toMatchObject({ requests: 1 });
      expect(ids(await search(me.auth, "ladder"))).toEqual([kept.id]);
      expect(ids(await search(me.auth, "starboard"))).toEqual([]);
      expect(ids(await search(await adminAuth(), "dawn"))).toEqual([]);
      // Gone from the index itself, not only hidden by the join with requests.
      const left = await s.db.orm.all<{ docs: number; entries: number }>(
        sql`SELECT (SELECT count(*) FROM search_docs WHERE request_id = ${old.id}) AS docs, (SELECT count(*) FROM search_index WHERE search_index MATCH 'starboard OR dawn') AS entries`,
      );
      expect(left[0]).toEqual({ docs: 0, entries: 0 });
    });

    it("queries: syntax characters are words or nothing; empty, wordless and too long queries are 400 search_query_invalid", async () => {
      const { call, session, submit } = await setup("request");
      const search = searcher(call);
      const me = await session();
      const r = (await submit(me.auth, { topic: "tides", body: { q: "tide near Brest or Roscoff, not Morlaix" } })).json;
      // Everything FTS5 would read as syntax is searched as plain words.
      for (const q of [
        "NEAR(brest",
        "brest OR",
        "-brest",
        "brest*",
        "brest:",
        '"brest',
        "^brest",
        "{tides}: brest",
        "brest NEAR",
        "(brest)",
        "brest NOT",
        "near",
        "NOT morlaix",
        "brest 🌊",
        "NEAR(",
      ]) {
        expect(ids(await search(me.auth, q)), q).toEqual([r.id]);
      }
      expect(ids(await search(me.auth, "brest NOT morlaix"))).toEqual([r.id]); // all three words are there
      expect(ids(await search(me.auth, "body:brest"))).toEqual([]); // not a column filter: the phrase "body brest"
      expect(ids(await search(me.auth, "brest lannion"))).toEqual([]); // every word must match
      expect(ids(await search(me.auth, "tid"))).toEqual([r.id]); // the last word is a prefix
      expect(ids(await search(me.auth, "tid "))).toEqual([]); // ... unless the text ends with a space
      expect(ids(await search(me.auth, '"tid"'))).toEqual([]); // ... or is quoted
      expect(ids(await search(me.auth, '"brest or roscoff"'))).toEqual([r.id]); // a phrase
      expect(ids(await search(me.auth, '"roscoff or brest"'))).toEqual([]);
      for (const q of ['"', "*", "-", '""', "   ", "(", ":", "^", "'", "\u0000", "\u0002"]) {
        await problem(
          await call(`/v1/search?q=${encodeURIComponent(q)}`, { auth: me.auth }),
          "search_query_invalid",
          "/v1/search",
          "the query has no word to search for (letters or digits)",
        );
      }
      await problem(await call("/v1/search", { auth: me.auth }), "search_query_invalid", "/v1/search");
      await problem(
        await call(`/v1/search?q=${"a".repeat(MAX_QUERY_CHARS + 1)}`, { auth: me.auth }),
        "search_query_invalid",
        "/v1/search",
        `the query is longer than ${MAX_QUERY_CHARS} characters`,
      );
      const many = Array.from({ length: MAX_QUERY_WORDS + 1 }, (_, i) => `w${i}`).join(" ");
      const body = await problem(await call(`/v1/search?q=${encodeURIComponent(many)}`, { auth: me.auth }), "search_query_invalid", "/v1/search");
      expect(body.errors).toEqual([{ parameter: "q", detail: `the query has ${MAX_QUERY_WORDS + 1} words; at most ${MAX_QUERY_WORDS}` }]);
      await problem(await call(`/v1/search?q=${"a".repeat(5000)}`, { auth: me.auth }), "validation_failed", "/v1/search");
      expect(ids(await search(me.auth, "x".repeat(MAX_QUERY_CHARS)))).toEqual([]); // the longest accepted
    });

    it("paging: newest first, limit and cursor; a foreign cursor is 400", async () => {
      const { call, session, submit } = await setup("request");
      const search = searcher(call);
      const me = await session();
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push((await submit(me.auth, { topic: `buoy ${i}`, body: { q: "buoy position" } })).json.id);
      const p1 = await search(me.auth, "buoy", "&limit=2");
      expect(ids(p1)).toEqual([made[4], made[3]]);
      const p2 = await search(me.auth, "buoy", `&limit=2&cursor=${p1.next_cursor}`);
      expect(ids(p2)).toEqual([made[2], made[1]]);
      const p3 = await search(me.auth, "buoy", `&limit=2&cursor=${p2.next_cursor}`);
      expect(p3).toMatchObject({ next_cursor: null });
      expect(ids(p3)).toEqual([made[0]]);
      expect(ids(await search(me.auth, "buoy", "&limit=5"))).toEqual([...made].reverse());
      expect((await search(me.auth, "buoy", "&limit=5")).next_cursor).toBeNull();
      await problem(await call("/v1/search?q=buoy&cursor=garbage", { auth: me.auth }), "validation_failed", "/v1/search");
      await problem(await call("/v1/search?q=buoy&limit=51", { auth: me.auth }), "validation_failed", "/v1/search");
    });

    it("a user's search walks their own entries or the query's matches, and both walks give the same pages", async () => {
      const { s, session, submit } = await setup("request");
      const me = await session();
      const other = await session();
      const mine: string[] = [];
      for (let i = 0; i < 7; i++) {
        await submit(other.auth, { topic: "mooring", body: { q: `mooring ${i}` } });
        mine.push((await submit(me.auth, { topic: i % 2 ? "mooring" : "anchor", body: { q: `mooring line ${i}` } })).json.id);
      }
      const who: Principal = { type: "user", userId: me.user.id, role: "user", sessionId: "test", rateLimits: null };
      const walk = async (ownEntriesWalkMax: number, q: string) => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await searchRequests(s, who, q, { limit: 3, cursor }, { ownEntriesWalkMax });
          expect(page.items.length).toBeLessThanOrEqual(3);
          seen.push(...page.items.map((i) => i.request.id));
          cursor = page.next_cursor ?? undefined;
        } while (cursor);
        return seen;
      };
      for (const q of ["mooring", "line", "anchor mooring", "nothing"]) {
        const ownWalk = await walk(1000, q);
        expect(await walk(0, q), q).toEqual(ownWalk); // 0: this user has "many", so the matches are walked
        if (q === "mooring" || q === "line") expect(ownWalk).toEqual([...mine].reverse());
      }
      expect(await walk(1000, "anchor mooring")).toEqual([mine[6], mine[4], mine[2], mine[0]]);
    });
  });
}
