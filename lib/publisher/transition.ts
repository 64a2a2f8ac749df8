/** Moves a build to another state through the one transition table, recording history. */
import type { Actor, Build, HistoryEntry } from "../build.js";
import { canTransition, type BuildState } from "../build-state.js";
import { err, ok, type Result } from "../result.js";

export interface TransitionRefused {
  code: "invalid_transition";
  from: BuildState;
  to: BuildState;
}

export function transition(
  build: Build,
  to: BuildState,
  actor: Actor,
  now: Date,
  reason?: string,
  action?: string,
): Result<Build, TransitionRefused> {
  if (!canTransition(build.state, to)) return err({ code: "invalid_transition", from: build.state, to });
  const at = now.toISOString();
  const entry: HistoryEntry = { at, kind: "transition", from: build.state, to, actor, ...(action ? { action } : {}), ...(reason ? { reason } : {}) };
  return ok({ ...build, state: to, updated_at: at, history: [...build.history, entry] });
}

/** Records an action that changed no state (a refused click, an approval short of the quorum). */
export function note(build: Build, kind: "refused" | "note", actor: Actor, now: Date, action: string, reason: string): Build {
  const at = now.toISOString();
  return { ...build, updated_at: at, history: [...build.history, { at, kind, actor, action, reason, from: build.state }] };
}
