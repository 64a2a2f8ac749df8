/**
 * When to regenerate the summary (issue 3): after the last publish has been quiet for the debounce
 * window, but never later than the max wait after the first unsummarized publish. N publishes in a
 * burst give one update-repo, not N.
 */
import type { CoordinatorState, Timing } from "./state.js";

export function updateDueAt(state: CoordinatorState, timing: Pick<Timing, "debounceMs" | "maxWaitMs">): number | undefined {
  if (state.published.length === 0) return undefined;
  const times = state.published.map((p) => p.published_at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const due = Math.min(last + timing.debounceMs, first + timing.maxWaitMs);
  return Math.max(due, state.update_not_before ?? 0);
}
