import { describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT, run } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/node-app.ts";

/** The commands of README "Try it with curl", exactly as written there. */
async function readmeCommands(): Promise<string> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Try it with curl"), readme.indexOf("## Configuration"));
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toHaveLength(2);
  return blocks[1];
}

describe("README", () => {
  it("npm start with a bootstrap admin, then the README's curl commands: login, create, list, disable, audit — and the replica follows", async () => {
    const dir = await tempDir();
    const env = { AIRLOCK_DATA_DIR: dir, AIRLOCK_ADMIN_EMAIL: "admin@example.com", AIRLOCK_ADMIN_PASSWORD: "change-me-to-something-long" };
    const server = run("npm", ["start"], env, { group: true });
    try {
      await server.waitForLine((l) => l.msg === "ferry started", 60_000);
      const script = await readmeCommands();
      const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines).toContain('{"email":"alice@example.com","role":"user","status":"active"}');
      expect(r.stdout).toContain('"access_token"'); // logged in on the replica
      expect(lines).toContainEqual(expect.stringMatching(/^\{"id":"usr_[0-9A-Z]+","status":"disabled"\}$/));
      expect(lines).toContain('{"code":"account_disabled"}'); // locked out on the replica after the next batch
      const audit = lines.filter((l) => l.startsWith('{"seq"')).map((l) => JSON.parse(l) as { action: string });
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["user.create", "auth.login", "user.disable", "transfer.export"]));
      expect(r.stdout).toContain('{"ok":true');
      expect(r.stdout).toContain('"incoming"');
    } finally {
      // Ctrl-C: both networks stop cleanly.
      const code = await server.stop();
      expect(server.output().match(/"msg":"scheduler stopped"/g)?.length, server.output().slice(-2000)).toBe(2);
      // npm itself re-raises the SIGINT it received (so the shell sees an interrupt); the app exited 0.
      expect(code === 0 || server.child.signalCode === "SIGINT").toBe(true);
    }
  }, 120_000);
});
