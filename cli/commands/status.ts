/**
 * `flatgate status [REPO [APP [BUILD]]]`: every repo (GET /v1/repos), one repo's queue, jobs and
 * updates (GET /v1/repos/:repo), one app's builds per branch (…/apps/:app), or one build with its
 * history (…/builds/:build). A single build key or status URL also names a build.
 */
import { AppView, BuildAnswer, ReposAnswer, RepoView, type Build } from "../api-schemas.js";
import { bool, type Values } from "../args.js";
import { parseBuildRef } from "../build-ref.js";
import { EXIT, usageError, type ExitCode } from "../exit-codes.js";
import type { Io } from "../io.js";
import { age, fields, json, table } from "../output.js";
import { buildPath, operatorClient, READ_RETRY_MS } from "../operator-session.js";

export async function status(values: Values, positionals: string[], io: Io): Promise<ExitCode> {
  let args = positionals;
  let fallbackUrl: string | undefined;
  if (args.length === 1 && (args[0]!.includes("/") || /^https?:/.test(args[0]!))) {
    const ref = parseBuildRef(args[0]!);
    if (!ref.ok) throw usageError(ref.error);
    args = [ref.value.repo, ref.value.appId, ref.value.buildId];
    fallbackUrl = ref.value.origin;
  }
  const client = operatorClient(values, io, fallbackUrl);
  const asJson = bool(values, "json");
  const [repo, app, build] = args;
  const enc = encodeURIComponent;

  if (repo === undefined) {
    const { data } = await client.call({ path: "/v1/repos", schema: ReposAnswer, retryForMs: READ_RETRY_MS });
    io.out(asJson ? json(data) : reposTable(data));
  } else if (app === undefined) {
    const { data } = await client.call({ path: `/v1/repos/${enc(repo)}`, schema: RepoView, retryForMs: READ_RETRY_MS });
    io.out(asJson ? json(data) : repoText(data));
  } else if (build === undefined) {
    const { data } = await client.call({ path: `/v1/repos/${enc(repo)}/apps/${enc(app)}`, schema: AppView, retryForMs: READ_RETRY_MS });
    io.out(asJson ? json(data) : appTable(data));
  } else {
    const { data } = await client.call({ path: buildPath(repo, app, build), schema: BuildAnswer, retryForMs: READ_RETRY_MS });
    io.out(asJson ? json(data) : buildText(data.build));
  }
  return EXIT.ok;
}

export function reposTable(data: ReposAnswer): string {
  return table(
    data.repos.map((r) => ({
      repo: r.repo,
      approval: r.approval,
      paused: r.paused ? `yes${r.paused_reason ? ` (${r.paused_reason})` : ""}` : "no",
      "repo master": r.repo_master.reachable ? "up" : `down${r.repo_master.down_since ? ` since ${r.repo_master.down_since}` : ""}`,
      queue: r.queue_count,
      builds: r.builds.total,
      states: Object.entries(r.builds.by_state)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s}=${n}`)
        .join(" "),
    })),
    ["repo", "approval", "paused", "repo master", "queue", "builds", "states"],
    "(no repos configured)",
  );
}

export function repoText(r: RepoView): string {
  const head = fields([
    ["repo", r.repo],
    ["paused", r.paused ? `yes${r.paused_reason ? `: ${r.paused_reason}` : ""}${r.paused_by ? ` (by ${r.paused_by})` : ""}` : "no"],
    ["repo master", r.repo_master ? (r.repo_master.reachable ? "up" : `down since ${r.repo_master.down_since ?? "?"}`) : undefined],
    ["queue", r.queue_count ?? r.queue.length],
    ["waiting for summary", r.waiting_for_summary_count],
  ]);
  const queue = table(r.queue.map((q) => ({ build: q.build_key, attempts: q.attempts, ready: q.ready_at })), ["build", "attempts", "ready"], "(queue empty)");
  const running = table(r.running.map((j) => ({ job: j.job_id, kind: j.kind, phase: j.phase, builds: j.build_count })), ["job", "kind", "phase", "builds"], "(no jobs running)");
  const updates = table(
    r.recent_updates.map((u) => ({ update: u.update_id, ok: u.ok, finished: age(u.finished_at), builds: u.builds, live: u.live, ms: u.duration_ms, summary: u.summary_sha256?.slice(0, 12) })),
    ["update", "ok", "finished", "builds", "live", "ms", "summary"],
    "(no updates yet)",
  );
  return `${head}\nQueue\n${queue}\nRunning\n${running}\nRecent updates\n${updates}`;
}

export function appTable(a: AppView): string {
  const rows = Object.entries(a.branches).flatMap(([branch, builds]) =>
    builds.map((b) => ({ branch, build: b.build_id, state: b.state, received: age(b.received_at), updated: age(b.updated_at), key: b.key })),
  );
  return table(rows, ["branch", "build", "state", "received", "updated", "key"], `(no builds of ${a.app_id} in ${a.repo})`);
}

export function buildText(b: Build): string {
  const head = fields([
    ["build", b.key],
    ["state", b.state],
    ["reason", b.reason],
    ["received", b.received_at],
    ["status url", b.status_url],
  ]);
  const history = table(
    b.history.map((h) => ({ at: h.at, kind: h.kind, change: h.to ? `${h.from ?? ""} -> ${h.to}` : h.action, actor: `${h.actor.kind}:${h.actor.name}`, reason: h.reason })),
    ["at", "kind", "change", "actor", "reason"],
  );
  return `${head}\nHistory\n${history}`;
}
