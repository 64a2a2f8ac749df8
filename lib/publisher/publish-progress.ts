/**
 * What the RepoCoordinator reports about a build's publish: accepted into the queue, claimed
 * for a publish job, imported into the repo, live in a signed summary, retrying, failed.
 * Each report is idempotent: a report the build already reflects changes nothing.
 */
import type { Actor, Build } from "../build.js";
import type { BuildState } from "../build-state.js";
import { mirror, type Effect } from "./effects.js";
import { transition } from "./transition.js";

export type PublishProgress =
  | { kind: "queued" }
  | { kind: "publishing"; job_id: string }
  | { kind: "published"; job_id: string; refs: Record<string, string> }
  | { kind: "live"; summary_sha256: string; update_id: string }
  | { kind: "retrying"; reason: string; attempt: number }
  | { kind: "failed"; reason: string }
  /** published, but the signed summary lists another commit for one of its refs (issue 10 #1) */
  | { kind: "superseded"; reason: string; superseded_by?: string };

export type ProgressOutcome = { kind: "changed"; build: Build; effects: Effect[] } | { kind: "unchanged"; build: Build };

const COORDINATOR: Actor = { kind: "system", name: "coordinator" };

const TARGET: Record<PublishProgress["kind"], BuildState> = {
  queued: "queued",
  publishing: "publishing",
  published: "published",
  live: "live",
  retrying: "queued",
  failed: "failed",
  superseded: "superseded",
};

export function applyPublishProgress(build: Build, p: PublishProgress, now: Date): ProgressOutcome {
  const to = TARGET[p.kind];
  if (build.state === to && p.kind !== "retrying") return { kind: "unchanged", build };
  const reason =
    p.kind === "publishing" ? `publish job ${p.job_id}` :
    p.kind === "published" ? `imported and signed by publish job ${p.job_id}` :
    p.kind === "live" ? `in signed summary ${p.summary_sha256.slice(0, 12)} (update ${p.update_id})` :
    p.kind === "retrying" ? `attempt ${p.attempt} failed: ${p.reason}` :
    p.kind === "failed" || p.kind === "superseded" ? p.reason : undefined;
  const moved = transition(build, to, COORDINATOR, now, reason);
  if (!moved.ok) return { kind: "unchanged", build };
  const next = moved.value;
  const effects: Effect[] = mirror(build.key);
  switch (p.kind) {
    case "publishing":
      // one claim for a publish job is one attempt (a re-sent claim is "unchanged" above)
      next.publish_attempts = build.publish_attempts + 1;
      delete next.reason; // a previous attempt's failure no longer describes the build
      break;
    case "published":
      next.published_refs = p.refs;
      break;
    case "live": {
      const approvedAt = [...build.history].reverse().find((h) => h.to === "approved")?.at;
      next.live = {
        summary_sha256: p.summary_sha256,
        update_id: p.update_id,
        at: now.toISOString(),
        ...(approvedAt ? { seconds_from_approval: Math.round((now.getTime() - Date.parse(approvedAt)) / 1000) } : {}),
      };
      delete next.reason;
      break;
    }
    case "retrying":
      // p.attempt is the coordinator's count since the build was last queued; publish_attempts
      // was already counted when the build was claimed
      next.reason = p.reason;
      effects.push({ kind: "slack_reply", build_key: build.key, text: `publish attempt ${p.attempt} failed, retrying: ${p.reason}` });
      break;
    case "failed":
      next.reason = p.reason;
      break;
    case "superseded":
      // the successor's link tells the story; a superseded build carries no failure reason
      delete next.reason;
      if (p.superseded_by) next.superseded_by = p.superseded_by;
      break;
  }
  return { kind: "changed", build: next, effects };
}
