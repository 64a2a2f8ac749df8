/**
 * `flatgate builds [--state S] [--repo R] …`: GET /v1/builds across apps, newest first, following
 * `next_cursor` until the last page (the cursor is bound to its filters, so each page repeats them).
 */
import { z } from "zod";
import { BUILD_STATES } from "../../lib/build-state.js";
import { AppId, Branch, RepoName } from "../../lib/ids.js";
import { BuildsPage, type ListedBuild } from "../api-schemas.js";
import { bool, str, type Values } from "../args.js";
import { EXIT, usageError, type ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { age, json, table } from "../output.js";
import { operatorClient, READ_RETRY_MS } from "../operator-session.js";

const Filters = z.strictObject({
  state: z.enum(BUILD_STATES, { error: `must be one of ${BUILD_STATES.join(", ")}` }).optional(),
  repo: RepoName.optional(),
  app_id: AppId.optional(),
  branch: Branch.optional(),
  limit: z.coerce.number().int().min(1).max(200, "must be at most 200 (the server's page size)").optional(),
});

/** Stops a runaway listing: 500 pages of 200 is 100,000 builds. */
const MAX_PAGES = 500;

export async function builds(values: Values, io: Io): Promise<ExitCode> {
  const f = Filters.safeParse({ state: str(values, "state"), repo: str(values, "repo"), app_id: str(values, "app-id"), branch: str(values, "branch"), limit: str(values, "limit") });
  if (!f.success) throw usageError(f.error.issues.map((i) => `--${String(i.path[0]).replace("_", "-")}: ${i.message}`).join("; "));
  const client = operatorClient(values, io);
  const items: ListedBuild[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = { state: f.data.state, repo: f.data.repo, app_id: f.data.app_id, branch: f.data.branch, limit: String(f.data.limit ?? 200), cursor };
    const { data } = await client.call({ path: "/v1/builds", query, schema: BuildsPage, retryForMs: READ_RETRY_MS });
    items.push(...data.items);
    if (data.next_cursor === null) break;
    cursor = data.next_cursor;
  }
  if (bool(values, "json")) {
    io.out(json({ items }));
    return EXIT.ok;
  }
  io.out(buildsTable(items));
  return EXIT.ok;
}

export function buildsTable(items: readonly ListedBuild[]): string {
  return table(
    items.map((b) => ({
      key: b.key,
      state: b.state,
      approvals: b.approvals ? `${b.approvals.count}/${b.approvals.required}` : undefined,
      received: age(b.received_at),
      updated: age(b.updated_at),
      reason: b.reason,
    })),
    ["key", "state", "approvals", "received", "updated", "reason"],
    "(no builds)",
  );
}
