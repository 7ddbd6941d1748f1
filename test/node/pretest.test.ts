import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "../helpers/spawn.ts";
import { tempDir } from "../helpers/node-app.ts";

// scripts/pretest.ts as `npm test` runs it, on a PATH the test controls: only the fake
// executables written here exist on it, so nothing real is looked up or installed.
const sudo = process.getuid?.() === 0 ? "" : "sudo ";
const command = (pkgs: string) => `\n\n    ${sudo}apt-get update && ${sudo}apt-get install -y ${pkgs}\n\nthen run npm test again.\n`;

async function fakes(names: string[], dir?: string) {
  const d = dir ?? (await tempDir("airlock-pretest-"));
  for (const n of names) {
    await writeFile(join(d, n), "#!/bin/sh\nexit 0\n");
    await chmod(join(d, n), 0o755);
  }
  return d;
}

/** A fake apt-get: logs its arguments, and "installs" a package by putting a fake executable of that name on the PATH. */
async function fakeAptGet(dir: string, log: string, exitCode = 0) {
  const script = `#!${process.execPath}
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ args, frontend: process.env.DEBIAN_FRONTEND }) + "\\n");
if (${exitCode}) process.exit(${exitCode});
const i = args.indexOf("install");
if (i >= 0) for (const p of args.slice(i + 2)) { fs.writeFileSync(${JSON.stringify(dir)} + "/" + p, "#!/bin/sh\\n"); fs.chmodSync(${JSON.stringify(dir)} + "/" + p, 0o755); }
`;
  await writeFile(join(dir, "apt-get"), script);
  await chmod(join(dir, "apt-get"), 0o755);
}

function pretest(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/pretest.ts"], { cwd: ROOT, encoding: "utf8", env });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("npm test's pretest (scripts/pretest.ts)", () => {
  it("stops at once with the exact command when Chromium is missing and installing is off", async () => {
    const path = await fakes(["redis-server", "curl", "jq", "openssl", "promtool", "apt-get"]);
    const r = pretest({ PATH: path, PRETEST_INSTALL: "0" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`npm test needs chromium (the browser checks), not found on the PATH; PRETEST_INSTALL=0, so nothing was installed. Type:${command("chromium")}`);
    expect(r.stdout).toBe("");
  });

  it("names every missing package in one command, for Debian or Ubuntu when apt-get is not there", async () => {
    const r = pretest({ PATH: await fakes([]) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "npm test needs redis-server (Redis servers of the tests' own), chromium (the browser checks), curl (the README's commands), jq (the README's commands), openssl (checks the release signature independently), promtool (checks GET /metrics and the Prometheus rules)",
    );
    expect(r.stderr).toContain(`apt-get is not available here. On Debian or Ubuntu, type:${command("redis-server chromium curl jq openssl prometheus")}`);
  });

  it("passes silently when everything is there; CHROMIUM_PATH may point outside the PATH", async () => {
    expect(pretest({ PATH: await fakes(["redis-server", "chromium", "curl", "jq", "openssl", "promtool"]) })).toEqual({ status: 0, stderr: "", stdout: "" });
    const elsewhere = await fakes(["my-chromium"]);
    const path = await fakes(["redis-server", "curl", "jq", "openssl", "promtool"]);
    expect(pretest({ PATH: path, CHROMIUM_PATH: join(elsewhere, "my-chromium") })).toEqual({ status: 0, stderr: "", stdout: "" });
    const wrong = pretest({ PATH: path, CHROMIUM_PATH: join(elsewhere, "nothing-here") });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`CHROMIUM_PATH=${join(elsewhere, "nothing-here")} is not an executable file`);
  });

  it("installs what is missing with apt-get, non-interactively, and then passes", async () => {
    const path = await fakes(["redis-server", "curl", "openssl", "promtool"]);
    const log = join(path, "apt.log");
    await fakeAptGet(path, log);
    const r = pretest({ PATH: path, PRETEST_INSTALL: "1" });
    expect(r.stderr).toBe("npm test: installing chromium jq with apt-get (PRETEST_INSTALL=0 turns this off)\n");
    expect(r.status).toBe(0);
    const calls = (await readFile(log, "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(calls).toEqual([
      { args: ["-o", "DPkg::Lock::Timeout=300", "update"], frontend: "noninteractive" },
      { args: ["-o", "DPkg::Lock::Timeout=300", "install", "-y", "chromium", "jq"], frontend: "noninteractive" },
    ]);
  });

  it("when apt-get fails, stops with the command to type", async () => {
    const path = await fakes(["redis-server", "chromium", "curl", "openssl", "promtool"]);
    const log = join(path, "apt.log");
    await fakeAptGet(path, log, 100);
    const r = pretest({ PATH: path, PRETEST_INSTALL: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`npm test needs jq (the README's commands), not found on the PATH; apt-get could not install it (see above). Type:${command("jq")}`);
    expect((await readFile(log, "utf8")).trim().split("\n")).toHaveLength(1);
  });
});
