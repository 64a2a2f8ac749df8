/**
 * Server-side cost of a `wrangler dev` stack, read from /proc (Linux): the CPU time and bytes
 * written of its workerd processes only. wrangler's own node process (bundler, file watcher,
 * log forwarding) is not the Worker and is left out (issue 9 item 5).
 */
import { readdirSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime, ms */
  cpuMs: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may hold spaces and parentheses: it ends at the last ")"
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const f = text.slice(close + 2).split(" ");
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15
    return { pid, ppid: Number(f[1]), comm, cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** The workerd processes among the descendants of `root` (wrangler starts one or more). */
export function workerdPids(root: number): number[] {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readStat(Number(d))).filter((s): s is Stat => s !== undefined);
  const children = new Map<number, Stat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      if (c.comm === "workerd") out.push(c.pid);
      walk(c.pid);
    }
  };
  walk(root);
  return out;
}

/** CPU (user + system) the processes used so far, ms. */
export function cpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (readStat(pid)?.cpuMs ?? 0), 0);
}

/** Bytes the processes caused to be written to storage (`write_bytes`) and passed to write() (`wchar`). */
export function ioBytes(pids: readonly number[]): { write_bytes: number; wchar: number } {
  let write_bytes = 0;
  let wchar = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/io`, "utf8");
      write_bytes += Number(/^write_bytes:\s*(\d+)/m.exec(text)?.[1] ?? 0);
      wchar += Number(/^wchar:\s*(\d+)/m.exec(text)?.[1] ?? 0);
    } catch {
      // gone, or not readable: counts as nothing
    }
  }
  return { write_bytes, wchar };
}
