/**
 * One local stack per state directory (issue 10 item 10): a second `npm start` on the same
 * FLATGATE_STATE_DIR rewrote the first one's generated wrangler configs, so its publish worker
 * talked to the second agent. The lock is a file created with O_EXCL holding the owner's pid;
 * a lock whose pid is no longer running (kill -9, a crash) is stale and taken over.
 * No TTY, no flock(1): plain files, so it works from scripts and CI.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";

export const LOCK_FILE = "stack.lock";

export interface LockOwner {
  pid: number;
  started_at: string;
  /** what the owner serves, for the message a second stack prints */
  pipeline_url?: string;
}

export interface StateLock {
  file: string;
  /** a stale lock (dead pid) that was taken over, for the log */
  replaced?: LockOwner;
  release(): void;
}

export class StateDirLockedError extends Error {
  constructor(
    readonly stateDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `the state directory ${stateDir} is in use by another local stack (pid ${owner.pid}, started ${owner.started_at}` +
        `${owner.pipeline_url ? `, pipeline ${owner.pipeline_url}` : ""}). Stop it first, or run this one with its own ` +
        "FLATGATE_STATE_DIR (and PORT / AGENT_PORT), e.g. FLATGATE_STATE_DIR=/tmp/flatgate-2 PORT=8797 AGENT_PORT=8798 npm start",
    );
    this.name = "StateDirLockedError";
  }
}

/** True when `pid` is a running process (EPERM: it runs, under another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const pid = Reflect.get(parsed, "pid");
    const startedAt = Reflect.get(parsed, "started_at");
    const url = Reflect.get(parsed, "pipeline_url");
    if (typeof pid !== "number" || typeof startedAt !== "string") return undefined;
    return { pid, started_at: startedAt, ...(typeof url === "string" ? { pipeline_url: url } : {}) };
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock of `stateDir` for this process, or throws StateDirLockedError naming the
 * owner. Released by `release()` and, whatever happens, when this process exits.
 */
export async function acquireStateLock(stateDir: string, info: { pipelineUrl?: string } = {}): Promise<StateLock> {
  await mkdir(stateDir, { recursive: true });
  const file = path.join(stateDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, started_at: new Date().toISOString(), ...(info.pipelineUrl ? { pipeline_url: info.pipelineUrl } : {}) };
  let replaced: LockOwner | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o644);
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = readOwner(file);
    // a lock being written this very moment reads as garbage: give its writer a moment
    if (owner === undefined && attempt < 3) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (owner && pidAlive(owner.pid)) throw new StateDirLockedError(stateDir, owner);
    if (attempt >= 5) throw new Error(`could not take the lock ${file} (another stack keeps replacing it)`);
    replaced = owner ?? { pid: 0, started_at: "unknown" };
    try {
      unlinkSync(file);
    } catch {
      // another starter removed it first; the next openSync decides who wins
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    // never remove a lock someone else took over
    if (readOwner(file)?.pid === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  };
  process.on("exit", release);
  return { file, ...(replaced ? { replaced } : {}), release };
}
