/**
 * The repo master needs Debian's ostree, flatpak and gnupg (DESIGN.md "Toolchain"). As root we
 * install what is missing with apt-get (seconds on Debian/Ubuntu); otherwise we stop with the
 * command to run, because sudo would need a TTY.
 */
import { spawn, spawnSync } from "node:child_process";

const TOOLS = [
  { command: "ostree", pkg: "ostree" },
  { command: "flatpak", pkg: "flatpak" },
  { command: "gpg", pkg: "gnupg" },
  { command: "gpgconf", pkg: "gnupg" },
] as const;

export class MissingToolsError extends Error {
  constructor(readonly packages: string[]) {
    const list = packages.join(" ");
    super(
      `missing ${list} (needed by the repo-master agent). Install them and try again:\n` +
        `  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${list}`,
    );
    this.name = "MissingToolsError";
  }
}

export function missingPackages(): string[] {
  const missing = TOOLS.filter((t) => spawnSync(t.command, ["--version"], { stdio: "ignore" }).error !== undefined);
  return [...new Set(missing.map((t) => t.pkg))];
}

export async function ensureTools(log: (line: string) => void): Promise<void> {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const root = process.getuid?.() === 0;
  const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).error === undefined;
  if (!root || !hasApt) throw new MissingToolsError(missing);
  log(`installing ${missing.join(" ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  await run("apt-get", ["update"], env, log);
  await run("apt-get", ["install", "-y", "--no-install-recommends", ...missing], env, log);
  const still = missingPackages();
  if (still.length > 0) throw new MissingToolsError(still);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    const onData = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-4000);
      for (const line of b.toString().split("\n")) if (line.trim()) log(`[apt] ${line}`);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} failed (exit ${code}):\n${tail}`))));
  });
}
