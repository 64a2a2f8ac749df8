/**
 * When to regenerate the summary: after the last publish has been quiet for the debounce window,
 * but never later than the max wait after the first unsummarized publish. N publishes in a
 * burst give one update-repo, not N. The caller passes the first and last publish times (one
 * aggregate query), not the builds.
 */
import type { RepoMeta, Timing } from "./state.js";

export interface Unsummarized {
  count: number;
  first?: number;
  last?: number;
}

export function updateDueAt(meta: Pick<RepoMeta, "update_not_before">, waiting: Unsummarized, timing: Pick<Timing, "debounceMs" | "maxWaitMs">): number | undefined {
  if (waiting.count === 0 || waiting.first === undefined || waiting.last === undefined) return undefined;
  const due = Math.min(waiting.last + timing.debounceMs, waiting.first + timing.maxWaitMs);
  return Math.max(due, meta.update_not_before ?? 0);
}
