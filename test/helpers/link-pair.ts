// Two in-process networks joined by real batches (export → file → inbox), with a user who
// submits on the request network and an operator who answers on the master.
import { expect } from "vitest";
import { eq } from "drizzle-orm";
import { requests, responses } from "../../schema/index.ts";
import { nodeApp } from "./node-app.ts";
import { carry, type Net } from "./transfer.ts";
import { seedSession } from "./identity-fixtures.ts";

export type Json = Record<string, any>;

const PASSWORD = "a long enough password";

export async function linkedNetworks(env: Record<string, string> = {}) {
  const master: Net = await nodeApp({ ...env, NETWORK_ROLE: "response" });
  const replica: Net = await nodeApp({ ...env, NETWORK_ROLE: "request" });
  const admin = await seedSession(master.services, { role: "admin" });
  const operator = await seedSession(master.services, { role: "operator" });
  const send = (n: Net, path: string, auth: string, raw?: string) =>
    n.app.request(
      path,
      { method: raw === undefined ? "GET" : "POST", headers: { authorization: auth, ...(raw === undefined ? {} : { "content-type": "application/json" }) }, body: raw },
      {},
    );

  // The user is created on the master and reaches the request network in a batch, as in production.
  const created = await send(master, "/v1/admin/users", admin.auth, JSON.stringify({ email: "poison@example.com", name: "P", role: "user", password: PASSWORD }));
  expect(created.status).toBe(201);
  await cross(master, replica);
  const login = await replica.app.request(
    "/v1/auth/token",
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "poison@example.com", password: PASSWORD }) },
    {},
  );
  expect(login.status).toBe(200);
  const user = `Bearer ${((await login.json()) as Json).access_token}`;

  return {
    master,
    replica,
    /** POST /v1/requests with this exact JSON text. */
    submitRaw: (raw: string) => send(replica, "/v1/requests", user, raw),
    submit: (topic: string, body: unknown) => send(replica, "/v1/requests", user, JSON.stringify({ topic, body })),
    /** POST /v1/requests/:id/response on the master with this exact JSON text. */
    answerRaw: (id: string, raw: string) => send(master, `/v1/requests/${id}/response`, operator.auth, raw),
    answer: (id: string, body: unknown, contentType?: string) =>
      send(master, `/v1/requests/${id}/response`, operator.auth, JSON.stringify({ body, ...(contentType === undefined ? {} : { content_type: contentType }) })),
    reject: (id: string, raw: string) => send(master, `/v1/requests/${id}/reject`, operator.auth, raw),
    readResponse: (id: string) => send(replica, `/v1/requests/${id}/response`, user),
    toMaster: () => cross(replica, master),
    toReplica: () => cross(master, replica),
  };
}
export type Link = Awaited<ReturnType<typeof linkedNetworks>>;

/** Carries every unacknowledged batch and asserts each was applied (or a replay of one that was). */
export async function cross(from: Net, to: Net) {
  const outcomes = await carry(from, to);
  for (const o of outcomes) expect(o, JSON.stringify(o).slice(0, 500)).toMatchObject({ outcome: expect.stringMatching(/^(applied|replay)$/) });
  return outcomes;
}

export const requestRow = (n: Net, id: string) => n.services.db.orm.select().from(requests).where(eq(requests.id, id)).get();
export const responseRow = (n: Net, id: string) => n.services.db.orm.select().from(responses).where(eq(responses.requestId, id)).get();

/** A 4xx RFC 9457 problem with this code naming `pointer` (in `errors`; `invalid_json` in the detail too); returns the body. */
export async function expectFieldProblem(res: Response, status: number, code: string, pointer: string) {
  const text = await res.text();
  expect(res.status, text.slice(0, 300)).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as Json;
  expect(body).toMatchObject({ status, code, type: `urn:airlock:problem:${code}` });
  expect(body.errors[0].pointer).toBe(pointer);
  if (code === "invalid_json") expect(body.detail.startsWith(`${pointer}: `), body.detail).toBe(true);
  return body;
}

/** A normal request still goes all the way: crosses, is answered on the master, comes back. */
export async function roundTrip(link: Link, topic: string, body: unknown, answer: unknown) {
  const res = await link.submit(topic, body);
  expect(res.status).toBe(202);
  const id = ((await res.json()) as Json).id as string;
  await link.toMaster();
  expect((await requestRow(link.master, id))?.status).toBe("received");
  const answered = await link.answer(id, answer);
  expect(answered.status, await answered.clone().text()).toBe(201);
  await link.toReplica();
  const read = await link.readResponse(id);
  expect(read.status).toBe(200);
  expect(((await read.json()) as Json).body).toEqual(answer);
  return id;
}
