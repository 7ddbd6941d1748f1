// Search across the link: two networks joined by real batches (export, file, inbox). The import
// that carries a request indexes it on the master, and the import that carries its answer indexes
// the answer's words on the request network: each is found right after that one import, with no
// other job run in between (the triggers write the index in the import's own transaction).
import { describe, expect, it } from "vitest";
import { linkedNetworks, type Json } from "../helpers/link-pair.ts";
import { PASSWORD } from "../helpers/link.ts";
import { seedSession } from "../helpers/identity-fixtures.ts";
import type { Net } from "../helpers/transfer.ts";

const search = async (n: Net, auth: string, q: string) => {
  const res = await n.app.request(`/v1/search?q=${encodeURIComponent(q)}`, { headers: { authorization: auth } }, {});
  expect(res.status).toBe(200);
  return ((await res.json()) as Json).items as Json[];
};

describe("search across the link", () => {
  it("a request is found on the master, and its answer on the request network, within the import that carried each", async () => {
    const link = await linkedNetworks();
    const login = await link.replica.app.request(
      "/v1/auth/token",
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "poison@example.com", password: PASSWORD }) },
      {},
    );
    const user = `Bearer ${((await login.json()) as Json).access_token}`;
    const operator = (await seedSession(link.master.services, { role: "operator" })).auth;

    const submitted = await link.submit("harbour", { q: "Which berth for the trawler Morgane?" });
    expect(submitted.status).toBe(202);
    const id = ((await submitted.json()) as Json).id as string;
    expect(await search(link.master, operator, "trawler")).toEqual([]);
    await link.toMaster();
    expect((await search(link.master, operator, "trawler")).map((i) => i.id)).toEqual([id]);

    expect((await link.answer(id, { berth: "Quai Gambetta, berth 7" })).status).toBe(201);
    expect(await search(link.replica, user, "gambetta")).toEqual([]);
    await link.toReplica();
    const found = await search(link.replica, user, "gambetta");
    expect(found).toEqual([
      expect.objectContaining({
        id,
        status: "answered",
        snippets: [
          {
            field: "answer",
            segments: [
              { text: "Quai ", hit: false },
              { text: "Gambetta", hit: true },
              { text: ", berth 7", hit: false },
            ],
          },
        ],
      }),
    ]);
    // The same words on the master, where the answer was written.
    expect((await search(link.master, operator, "gambetta")).map((i) => i.id)).toEqual([id]);
  });
});
