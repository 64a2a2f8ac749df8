/**
 * `npm start > log &` then `kill <that pid>` signals npm only: npm forwards SIGTERM to its
 * `sh -c`, which dies without passing it on, and tsx, this process and wrangler live on
 * holding the ports. So we watch our ancestry (Linux /proc) and stop when the npm that
 * launched us is no longer one of our ancestors. Without /proc or npm this does nothing.
 */
import { readFileSync } from "node:fs";

function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces and parentheses
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    return fields[0] === "Z" || !Number.isInteger(ppid) ? undefined : ppid;
  } catch {
    return undefined;
  }
}

function isNpm(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return /(^|\/)npm(\s|$)/.test(argv[0] ?? "") || argv.some((a) => a.endsWith("npm-cli.js"));
  } catch {
    return false;
  }
}

function ancestors(): number[] {
  const chain: number[] = [];
  for (let pid = parentOf(process.pid); pid !== undefined && pid > 1 && chain.length < 32; pid = parentOf(pid)) chain.push(pid);
  return chain;
}

/** Calls `onGone` once when the npm process among our ancestors exits. */
export function watchLauncher(onGone: () => void, intervalMs = 1_000): void {
  if (!process.env.npm_lifecycle_event) return;
  const npm = ancestors().find(isNpm);
  if (npm === undefined) return;
  const timer = setInterval(() => {
    if (ancestors().includes(npm)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
}
