/**
 * The build record the AppPublisher keeps and every projection (API, GitHub check run, Slack
 * message) reads. Plain data: structured-clone safe for Durable Object RPC.
 */
import type { BuildState } from "./build-state.js";
import type { BuildEvent } from "./build-event.js";
import type { ApprovalMode } from "./config.js";

export type ActorKind = "build_worker" | "operator" | "github" | "system";

export interface Actor {
  kind: ActorKind;
  /** operator name, GitHub login, or a component ("coordinator", "alarm") */
  name: string;
  /** the GitHub repository role (`role_name`) when the actor clicked a check-run button */
  role?: string;
}

export interface HistoryEntry {
  at: string;
  /** a transition, or a refused/recorded action that changed no state */
  kind: "transition" | "refused" | "note";
  from?: BuildState;
  to?: BuildState;
  action?: string;
  actor: Actor;
  reason?: string;
}

export interface Approval {
  by: string;
  actor_kind: ActorKind;
  at: string;
}

export interface Build {
  key: string;
  repo: string;
  app_id: string;
  branch: string;
  build_id: string;
  state: BuildState;
  status: BuildEvent["status"];
  source: BuildEvent["source"];
  /** absent for a build the worker reported as failed */
  artifact?: BuildEvent["artifact"];
  build_log_url?: string;
  approval_mode: ApprovalMode;
  approvals_required: number;
  approvals: Approval[];
  received_at: string;
  updated_at: string;
  /** awaiting_approval builds expire at this time (approval_ttl_hours) */
  expires_at?: string;
  /** delayed-approval builds are approved by the alarm at this time unless rejected first */
  auto_publish_at?: string;
  superseded_by?: string;
  /** why the build is failed/build_failed/rejected/cancelled, for humans */
  reason?: string;
  publish_attempts: number;
  /** refs -> commits as imported into the repo by the repo master */
  published_refs?: Record<string, string>;
  /** the summary update (GET /v1/repos/:repo/updates/:update_id) that made it live */
  live?: { summary_sha256: string; update_id?: string; at: string; seconds_from_approval?: number };
  github?: { installation_id?: number; check_run_id?: number };
  slack?: { channel?: string; ts?: string };
  /** the last HISTORY_KEPT entries (lib/publisher/retention.ts); older ones are counted here */
  history: HistoryEntry[];
  history_dropped?: number;
  /** a final build past the repo's retention: a summary record with the last few entries */
  compacted?: true;
}

/** The actions people can take on a build (operator API, check-run buttons). */
export type BuildAction = "approve" | "reject" | "cancel" | "retry";
