/**
 * Build states (DESIGN.md) and the one table of allowed transitions. Every state change of a
 * build goes through `transition`; anything not in the table is refused.
 */
export const BUILD_STATES = [
  "received",
  "awaiting_approval",
  "approved",
  "queued",
  "publishing",
  "published",
  "live",
  "build_failed",
  "rejected",
  "superseded",
  "expired",
  "cancelled",
  "failed",
] as const;

export type BuildState = (typeof BUILD_STATES)[number];

const ALLOWED: Record<BuildState, readonly BuildState[]> = {
  received: ["awaiting_approval", "approved", "build_failed"],
  awaiting_approval: ["approved", "rejected", "superseded", "expired", "cancelled"],
  approved: ["queued", "rejected", "superseded", "cancelled"],
  // the coordinator may hand a queued build back (repo paused and drained, operator cancel)
  queued: ["publishing", "superseded", "cancelled", "failed"],
  // a transient repo-master failure sends the build back to the queue for another attempt
  publishing: ["published", "queued", "failed"],
  // superseded: a later build of one of its refs went out in the same summary update
  published: ["live", "failed", "superseded"],
  live: [],
  build_failed: [],
  rejected: [],
  superseded: [],
  expired: [],
  cancelled: [],
  // retryable by an operator or the check run's Retry button
  failed: ["queued", "cancelled", "superseded"],
};

/** States a newer build of the same branch replaces (DESIGN.md: "not yet publishing"). */
export const SUPERSEDABLE: readonly BuildState[] = ["awaiting_approval", "approved", "queued", "failed"];

export const TERMINAL: readonly BuildState[] = ["live", "build_failed", "rejected", "superseded", "expired", "cancelled"];

export function canTransition(from: BuildState, to: BuildState): boolean {
  return ALLOWED[from].includes(to);
}

export function allowedFrom(from: BuildState): readonly BuildState[] {
  return ALLOWED[from];
}

export function isTerminal(state: BuildState): boolean {
  return TERMINAL.includes(state);
}
