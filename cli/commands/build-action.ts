/**
 * `flatgate approve|reject|retry|cancel BUILD`: POST /v1/repos/:repo/apps/:app/builds/:build/<action>.
 * Not retried: an action that reached the server and timed out on the way back must not be
 * sent twice without the operator seeing it (a second approve of a two-approver repo is not a no-op).
 */
import { BuildAnswer } from "../api-schemas.js";
import { bool, str, type Values } from "../args.js";
import { parseBuildRef } from "../build-ref.js";
import { EXIT, usageError, type ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { json } from "../output.js";
import { buildPath, operatorClient } from "../operator-session.js";

export type BuildAction = "approve" | "reject" | "retry" | "cancel";

const MAX_REASON = 1000;

export async function buildAction(action: BuildAction, values: Values, positionals: string[], io: Io): Promise<ExitCode> {
  const ref = parseBuildRef(positionals[0]!);
  if (!ref.ok) throw usageError(ref.error);
  const reason = str(values, "reason");
  if (action === "reject" && !reason?.trim()) throw usageError("reject needs --reason TEXT: the build worker and the status page show it");
  if (reason !== undefined && reason.length > MAX_REASON) throw usageError(`--reason is at most ${MAX_REASON} characters`);
  const client = operatorClient(values, io, ref.value.origin);
  const { repo, appId, buildId } = ref.value;
  const { data } = await client.call({
    method: "POST",
    path: buildPath(repo, appId, buildId, action),
    body: JSON.stringify(reason !== undefined ? { reason } : {}),
    schema: BuildAnswer,
  });
  if (bool(values, "json")) io.out(json(data));
  else io.out(`${data.build.key}: ${data.build.state}${data.build.reason ? ` (${data.build.reason})` : ""}\n`);
  return EXIT.ok;
}
