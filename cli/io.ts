/** What a command may touch of the process, handed in so tests can run commands in-process. */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";

export interface Io {
  env: Record<string, string | undefined>;
  homeDir: string;
  out: (text: string) => void;
  err: (text: string) => void;
  /** a file's text, or undefined when it does not exist; "-" is stdin */
  readFile: (file: string) => string | undefined;
  /** stderr is a terminal: progress rewrites one line instead of printing one per change */
  isTTY: boolean;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export function processIo(): Io {
  return {
    env: process.env,
    homeDir: homedir(),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    readFile: (file) => {
      try {
        return readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        if (typeof e === "object" && e !== null && "code" in e && e.code === "ENOENT") return undefined;
        throw e;
      }
    },
    isTTY: process.stderr.isTTY === true,
  };
}
