/**
 * What an AppPublisher keeps (issue 9, "Retention"). A build's history holds its last
 * HISTORY_KEPT entries and a count of the older ones it dropped. A final build beyond the
 * repo's `retain_final_builds` newest of its branch, or final for longer than
 * `retain_final_days`, is compacted: its record shrinks to the fields a summary row needs (state,
 * source, approvals, the published commits, links) and the last few history entries.
 */
import type { Build } from "../build.js";

export const HISTORY_KEPT = 200;
const COMPACT_HISTORY_KEPT = 5;
const REASON_MAX = 300;

export function boundHistory(build: Build, keep = HISTORY_KEPT): Build {
  if (build.history.length <= keep) return build;
  const dropped = build.history.length - keep;
  return { ...build, history: build.history.slice(dropped), history_dropped: (build.history_dropped ?? 0) + dropped };
}

export function compactBuild(build: Build): Build {
  const bounded = boundHistory(build, COMPACT_HISTORY_KEPT);
  const { expires_at: _e, auto_publish_at: _a, ...rest } = bounded;
  return {
    ...rest,
    ...(build.reason ? { reason: build.reason.slice(0, REASON_MAX) } : {}),
    compacted: true,
  };
}
