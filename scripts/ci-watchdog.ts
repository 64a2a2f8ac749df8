/**
 * Runs one CI phase so that it cannot hang silently (issue 10 item 17: a `.ci/run` once hung 27
 * minutes in the workers tests and said nothing). The command runs in its own process group;
 * its output is passed through and kept. When it exceeds its total budget, or prints nothing for
 * its idle budget, the watchdog prints what was running (the tests in the progress file that
 * test/reporters/test-progress.ts keeps), the process tree and the last lines of output, then
 * ends the whole group (SIGTERM, SIGKILL 10 s later) and exits 124, like timeout(1).
 *
 *   tsx scripts/ci-watchdog.ts --name test --total 2400 --idle 600 [--progress FILE] -- npm test
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: "string", default: "command" },
    total: { type: "string", default: "2400" },
    idle: { type: "string", default: "600" },
    progress: { type: "string" },
  },
});
const command = positionals;
if (command.length === 0) {
  process.stderr.write("usage: ci-watchdog --name NAME --total SECONDS --idle SECONDS [--progress FILE] -- COMMAND...\n");
  process.exit(2);
}
const totalMs = Number(values.total) * 1000;
const idleMs = Number(values.idle) * 1000;
const name = values.name!;
const started = Date.now();
let lastOutput = Date.now();
const tail: string[] = [];
let partial = "";

const say = (line: string) => process.stderr.write(`[watchdog ${name}] ${line}\n`);

const child = spawn(command[0]!, command.slice(1), {
  stdio: ["ignore", "pipe", "pipe"],
  detached: true,
  env: { ...process.env, ...(values.progress ? { FLATGATE_TEST_PROGRESS_FILE: values.progress } : {}) },
});
const keep = (b: Buffer) => {
  lastOutput = Date.now();
  const lines = (partial + b.toString()).split("\n");
  partial = lines.pop() ?? "";
  tail.push(...lines);
  if (tail.length > 200) tail.splice(0, tail.length - 200);
};
child.stdout!.on("data", (b: Buffer) => {
  keep(b);
  process.stdout.write(b);
});
child.stderr!.on("data", (b: Buffer) => {
  keep(b);
  process.stderr.write(b);
});

// our own signals (CI cancelling the job) end the group too, so nothing outlives the run
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    say(`${sig}: ending ${command.join(" ")}`);
    void endGroup().then(() => process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1)));
  });
}

let exited = false;
child.on("exit", (code, signal) => {
  exited = true;
  clearInterval(timer);
  if (!firing) process.exit(code ?? (signal ? 128 + 9 : 1));
});

const timer = setInterval(() => {
  const now = Date.now();
  if (now - started > totalMs) void fire(`exceeded its budget of ${values.total} s`);
  else if (now - lastOutput > idleMs) void fire(`printed nothing for ${values.idle} s`);
}, 1_000);

let firing = false;
async function fire(why: string): Promise<void> {
  if (firing) return;
  firing = true;
  clearInterval(timer);
  say(`STUCK: \`${command.join(" ")}\` ${why} (ran ${Math.round((Date.now() - started) / 1000)} s); ending it.`);
  say(`running when it stopped: ${running()}`);
  say("process tree:");
  process.stderr.write(`${processTree()}\n`);
  say(`last ${Math.min(tail.length, 80)} lines of output:`);
  process.stderr.write(`${[...tail.slice(-80), partial].join("\n")}\n`);
  await endGroup();
  say(`ended; exit 124`);
  process.exit(124);
}

function running(): string {
  const file = values.progress;
  if (!file || !existsSync(file)) return "(no progress file)";
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as { updated_at: string; modules: { module: string; started_at: string }[]; tests: { test: string; started_at: string }[] };
    const files = state.modules.map((m) => `\n  file ${m.module} (since ${m.started_at})`).join("");
    const tests = state.tests.map((t) => `\n  test ${t.test} (since ${t.started_at})`).join("");
    return `${files || "\n  no test file"}${tests || "\n  no test (between tests, or in a hook or teardown)"}\n  (progress file updated ${state.updated_at})`;
  } catch (e) {
    return `(unreadable progress file: ${e instanceof Error ? e.message : String(e)})`;
  }
}

interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  line: string;
}

function processTable(): { header: string; rows: Proc[] } | string {
  const ps = spawnSync("ps", ["-e", "-o", "pid,ppid,pgid,stat,etime,pcpu,rss,args", "--forest"], { encoding: "utf8" });
  if (ps.error || !ps.stdout) return `(ps failed: ${ps.error?.message ?? ps.stderr})`;
  const [header = "", ...lines] = ps.stdout.split("\n").filter(Boolean);
  const rows = lines.map((line) => {
    const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number);
    return { pid: pid!, ppid: ppid!, pgid: pgid!, line };
  });
  return { header, rows };
}

/** The command and everything it started, also what left its group (wrangler dev runs detached). */
function descendants(rows: Proc[]): Proc[] {
  const root = child.pid!;
  const mine = new Set<number>([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (!mine.has(r.pid) && (mine.has(r.ppid) || r.pgid === root)) {
        mine.add(r.pid);
        grew = true;
      }
    }
  }
  return rows.filter((r) => mine.has(r.pid));
}

/** What the command runs now (workerd, wrangler, vitest workers…), with state, CPU and age. */
function processTree(): string {
  const table = processTable();
  if (typeof table === "string") return table;
  return [table.header, ...descendants(table.rows).map((r) => r.line)].map((l) => l.slice(0, 220)).join("\n");
}

async function endGroup(): Promise<void> {
  const table = processTable();
  const others = typeof table === "string" ? [] : descendants(table.rows).filter((r) => r.pgid !== child.pid);
  const signal = (s: NodeJS.Signals) => {
    for (const target of [-child.pid!, ...others.map((r) => r.pid)]) {
      try {
        process.kill(target, s);
      } catch {
        // gone
      }
    }
  };
  signal("SIGTERM");
  for (let i = 0; i < 100 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
  signal("SIGKILL");
}
