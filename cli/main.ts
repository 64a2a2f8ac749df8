/**
 * The `flatgate` CLI (issue 11 §4, docs/cli.md): parses the command line and hands it to one
 * command. Every failure ends as a one-line `flatgate: …` on stderr and an exit code from
 * exit-codes.ts, never a stack trace.
 */
import { readFileSync } from "node:fs";
import { helpText, parseCommandLine } from "./args.js";
import { buildAction } from "./commands/build-action.js";
import { builds } from "./commands/builds.js";
import { notifyBuild } from "./commands/notify-build.js";
import { repoAction } from "./commands/repo-action.js";
import { sign } from "./commands/sign.js";
import { status } from "./commands/status.js";
import { watch } from "./commands/watch.js";
import { CliError, EXIT, type ExitCode } from "./exit-codes.js";
import { processIo, type Io } from "./io.js";

export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    io.err(`flatgate: ${parsed.error}\n\n${helpText()}`);
    return EXIT.usage;
  }
  const p = parsed.value;
  if (p.kind === "help") {
    io.out(helpText(p.command));
    return EXIT.ok;
  }
  if (p.kind === "version") {
    io.out(`${version()}\n`);
    return EXIT.ok;
  }
  try {
    const { values, positionals } = p;
    switch (p.command) {
      case "notify-build":
        return await notifyBuild(values, io);
      case "status":
        return await status(values, positionals, io);
      case "builds":
        return await builds(values, io);
      case "approve":
      case "reject":
      case "retry":
      case "cancel":
        return await buildAction(p.command, values, positionals, io);
      case "pause":
      case "resume":
        return await repoAction(p.command, values, positionals, io);
      case "watch":
        return await watch(values, positionals, io);
      case "sign":
        return await sign(values, positionals, io);
    }
  } catch (e) {
    if (e instanceof CliError) {
      io.err(`flatgate: ${e.message}\n`);
      return e.exitCode;
    }
    io.err(`flatgate: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.unavailable;
  }
}

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return typeof pkg === "object" && pkg !== null && "version" in pkg ? String(pkg.version) : "unknown";
}
