/**
 * What the BuildIndex keeps of a build (issue 11 §1): the listing columns, a few bounded display
 * fields for the dashboard, and the tail of its transitions so the index can count them (metrics)
 * exactly once. Built by the AppPublisher from the full build; plain data for DO RPC.
 */
import type { Build } from "../build.js";
import type { BuildState } from "../build-state.js";

/** How much of `reason` the index keeps: enough for a table cell; the build itself has all of it. */
export const REASON_MAX = 200;
/** How many of the latest transitions an upsert carries; earlier ones were counted by earlier upserts. */
export const TRANSITIONS_CARRIED = 16;

export interface IndexedTransition {
  /**
   * 1-based position of the transition in the build's whole history (dropped entries included,
   * lib/publisher/retention.ts), so it never changes: the index counts each `seq` once
   */
  seq: number;
  to: BuildState;
  at: number;
  /** received → approved, for a build that waited for approval (auto-approved ones did not wait) */
  approval_wait_s?: number;
  /** last approval → live */
  approval_to_live_s?: number;
}

export interface IndexEntry {
  key: string;
  repo: string;
  app_id: string;
  branch: string;
  build_id: string;
  state: BuildState;
  /** epoch ms; the listing order (newest first) */
  received_at: number;
  updated_at: number;
  /**
   * The build's version: the length of its whole history (kept + dropped entries), which grows
   * with every change (transition, refused click, partial approval). An upsert with a lower
   * `rev` than the stored row is stale.
   */
  rev: number;
  approvals: number;
  approvals_required: number;
  reason?: string;
  live_summary_sha256?: string;
  check_run_id?: number;
  transitions: IndexedTransition[];
}

const ms = (iso: string): number => Date.parse(iso);
const seconds = (from: number, to: number): number => Math.max(0, (to - from) / 1000);

/** The index's view of `build`. Size is bounded whatever the build's history. */
export function indexEntry(build: Build): IndexEntry {
  const dropped = build.history_dropped ?? 0;
  const transitions: IndexedTransition[] = [];
  let approvedAt: number | undefined;
  build.history.forEach((h, i) => {
    if (h.kind !== "transition" || !h.to) return;
    const at = ms(h.at);
    const t: IndexedTransition = { seq: dropped + i + 1, to: h.to, at };
    if (h.to === "approved") {
      approvedAt = at;
      if (h.from === "awaiting_approval") t.approval_wait_s = seconds(ms(build.received_at), at);
    }
    if (h.to === "live") {
      // the approval may have left the kept history; the live record measured it when it happened
      const s = approvedAt !== undefined ? seconds(approvedAt, at) : build.live?.seconds_from_approval;
      if (s !== undefined) t.approval_to_live_s = s;
    }
    transitions.push(t);
  });
  return {
    key: build.key,
    repo: build.repo,
    app_id: build.app_id,
    branch: build.branch,
    build_id: build.build_id,
    state: build.state,
    received_at: ms(build.received_at),
    updated_at: ms(build.updated_at),
    rev: dropped + build.history.length,
    approvals: build.approvals.length,
    approvals_required: build.approvals_required,
    ...(build.reason ? { reason: truncate(build.reason, REASON_MAX) } : {}),
    ...(build.live ? { live_summary_sha256: build.live.summary_sha256 } : {}),
    ...(build.github?.check_run_id !== undefined ? { check_run_id: build.github.check_run_id } : {}),
    transitions: transitions.slice(-TRANSITIONS_CARRIED),
  };
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
