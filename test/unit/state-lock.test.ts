/** scripts/state-lock.ts: one local stack per FLATGATE_STATE_DIR, stale locks taken over. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireStateLock, LOCK_FILE, pidAlive, StateDirLockedError } from "../../scripts/state-lock.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "fg-lock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that ran and is gone. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return child.pid!;
}

describe("acquireStateLock", () => {
  it("refuses a second holder while the first runs, naming FLATGATE_STATE_DIR and the owner", async () => {
    const lock = await acquireStateLock(dir, { pipelineUrl: "http://127.0.0.1:8787" });
    const owner = JSON.parse(await readFile(path.join(dir, LOCK_FILE), "utf8"));
    expect(owner.pid).toBe(process.pid);
    const second = acquireStateLock(dir);
    await expect(second).rejects.toBeInstanceOf(StateDirLockedError);
    await expect(second).rejects.toThrow(/FLATGATE_STATE_DIR/);
    await expect(second).rejects.toThrow(`pid ${process.pid}`);
    await expect(second).rejects.toThrow("http://127.0.0.1:8787");
    lock.release();
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    (await acquireStateLock(dir)).release();
  });

  it("takes over the lock of a process that is no longer running", async () => {
    const pid = await deadPid();
    expect(pidAlive(pid)).toBe(false);
    await writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid, started_at: "2026-01-01T00:00:00.000Z" }));
    const lock = await acquireStateLock(dir);
    expect(lock.replaced?.pid).toBe(pid);
    expect(JSON.parse(await readFile(lock.file, "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("takes over an unreadable lock file", async () => {
    await writeFile(path.join(dir, LOCK_FILE), "garbage");
    const lock = await acquireStateLock(dir);
    expect(lock.replaced).toBeDefined();
    lock.release();
  });

  it("is released when its process exits, and held until then (no TTY)", async () => {
    const script = `import { acquireStateLock } from ${JSON.stringify(path.resolve("scripts/state-lock.ts"))};
      await acquireStateLock(process.argv[1]); process.stdout.write("locked\\n");
      process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script, dir], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (b: Buffer) => b.toString().includes("locked") && resolve());
      child.once("exit", (code) => reject(new Error(`child exited early (${code})`)));
    });
    await expect(acquireStateLock(dir)).rejects.toThrow(`pid ${child.pid}`);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});
