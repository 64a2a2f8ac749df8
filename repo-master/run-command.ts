/**
 * Spawns a tool (ostree, flatpak, gpg) without a shell, captures its output and kills it after
 * a timeout. A failure is a value, not an exception: the caller decides whether it is permanent.
 */
import { spawn } from "node:child_process";

export interface CommandResult {
  ok: boolean;
  /** `ostree --repo=… rev-parse x`, for logs and error messages */
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** the tool could not be started at all (not installed, bad cwd) */
  spawnError?: string;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  /** every output line as it arrives (the job's log tail) */
  onLine?: (line: string) => void;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
/** keep memory bounded when a tool is chatty (static delta generation prints a lot) */
const MAX_CAPTURE = 1024 * 1024;

export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  const started = Date.now();
  const command = [cmd, ...args].join(" ");
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let spawnError: string | undefined;
    const partial = { out: "", err: "" };
    const feed = (which: "out" | "err", chunk: string) => {
      if (which === "out") stdout = (stdout + chunk).slice(-MAX_CAPTURE);
      else stderr = (stderr + chunk).slice(-MAX_CAPTURE);
      if (!opts.onLine) return;
      const lines = (partial[which] + chunk).split("\n");
      partial[which] = lines.pop() ?? "";
      for (const l of lines) if (l.trim()) opts.onLine(l);
    };
    child.stdout.setEncoding("utf8").on("data", (c: string) => feed("out", c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => feed("err", c));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      // a tool stuck in uninterruptible IO gets a harder nudge
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on("error", (e) => {
      spawnError = e.message;
    });
    child.stdin.on("error", () => {
      // the tool may exit before reading its input; the exit code tells the story
    });
    child.stdin.end(opts.input ?? "");
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      for (const w of ["out", "err"] as const) if (partial[w].trim() && opts.onLine) opts.onLine(partial[w]);
      resolve({
        ok: code === 0 && !timedOut && !spawnError,
        command,
        code,
        signal,
        stdout,
        stderr,
        timedOut,
        ...(spawnError ? { spawnError } : {}),
        durationMs: Date.now() - started,
      });
    });
  });
}

/** One line saying why a command failed, for job errors. */
export function describeFailure(r: CommandResult): string {
  if (r.spawnError) return `${r.command}: could not start: ${r.spawnError}`;
  if (r.timedOut) return `${r.command}: timed out after ${Math.round(r.durationMs / 1000)} s`;
  const why = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-3).join(" | ");
  return `${r.command}: exited with ${r.code ?? r.signal}${why ? `: ${why}` : ""}`;
}
