/** `flatgate pause|resume REPO`: POST /v1/repos/:repo/pause|resume (admin role). */
import { RepoName } from "../../lib/ids.js";
import { RepoView } from "../api-schemas.js";
import { bool, str, type Values } from "../args.js";
import { EXIT, usageError, type ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { json } from "../output.js";
import { operatorClient } from "../operator-session.js";

export async function repoAction(action: "pause" | "resume", values: Values, positionals: string[], io: Io): Promise<ExitCode> {
  const repo = positionals[0]!;
  const name = RepoName.safeParse(repo);
  if (!name.success) throw usageError(`repo "${repo}" ${name.error.issues[0]?.message ?? "is invalid"}`);
  const reason = str(values, "reason");
  const client = operatorClient(values, io);
  const { data } = await client.call({
    method: "POST",
    path: `/v1/repos/${encodeURIComponent(repo)}/${action}`,
    body: JSON.stringify(reason !== undefined ? { reason } : {}),
    schema: RepoView,
  });
  if (bool(values, "json")) io.out(json(data));
  else io.out(`${data.repo}: ${data.paused ? `paused${data.paused_reason ? ` (${data.paused_reason})` : ""}` : "running"}\n`);
  return EXIT.ok;
}
