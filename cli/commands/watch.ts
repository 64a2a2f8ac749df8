/**
 * `flatgate watch BUILD`: polls the build until it is final and shows its state on one progress
 * line (rewritten in place on a terminal, one line per change otherwise, so CI logs stay short).
 * Exit 0 on `live`; EXIT.notLive on any other final state. `failed` counts as final here although
 * an operator may still retry it: a CI job should not wait on a person.
 */
import type { BuildState } from "../../lib/build-state.js";
import { TERMINAL } from "../../lib/build-state.js";
import { BuildAnswer, type Build } from "../api-schemas.js";
import { seconds, type Values } from "../args.js";
import { parseBuildRef } from "../build-ref.js";
import { CliError, EXIT, usageError, type ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { buildPath, operatorClient, READ_RETRY_MS } from "../operator-session.js";

const FINAL: readonly BuildState[] = [...TERMINAL, "failed"];

export async function watch(values: Values, positionals: string[], io: Io): Promise<ExitCode> {
  const ref = parseBuildRef(positionals[0]!);
  if (!ref.ok) throw usageError(ref.error);
  const interval = seconds(values, "interval", 2);
  if (!interval.ok) throw usageError(interval.error);
  const timeout = seconds(values, "timeout", 3600);
  if (!timeout.ok) throw usageError(timeout.error);
  const client = operatorClient(values, io, ref.value.origin);
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const path = buildPath(ref.value.repo, ref.value.appId, ref.value.buildId);
  const started = Date.now();
  let last: BuildState | undefined;
  for (;;) {
    const { data } = await client.call({ path, schema: BuildAnswer, retryForMs: READ_RETRY_MS });
    const b = data.build;
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (io.isTTY) io.err(`\r\x1b[K${progress(b, elapsed)}`);
    else if (b.state !== last) io.err(`${progress(b, elapsed)}\n`);
    last = b.state;
    if (FINAL.includes(b.state)) {
      if (io.isTTY) io.err("\n");
      io.out(`${b.key}: ${b.state}${b.reason ? ` (${b.reason})` : ""}\n`);
      return b.state === "live" ? EXIT.ok : EXIT.notLive;
    }
    if (Date.now() - started > timeout.value * 1000) {
      if (io.isTTY) io.err("\n");
      throw new CliError(`${b.key} is still ${b.state} after ${timeout.value} s (--timeout)`, EXIT.unavailable);
    }
    await sleep(interval.value * 1000);
  }
}

function progress(b: Build, elapsedS: number): string {
  const path = b.history.filter((h) => h.kind === "transition" && h.to).map((h) => h.to).join(" > ");
  return `${b.key}  ${b.state}  ${elapsedS}s  [${path}]`;
}
