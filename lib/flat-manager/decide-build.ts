/**
 * What Flatgate does with a flat-manager build, read with GET /api/v1/build/<id>/extended, on
 * intake and again before publishing (issue 12 "The event"). Pure.
 */
import { CHECK_STATUSES, CheckStatus, PUBLISHED_STATES, PublishedState, REPO_STATES, RepoState, stateName, type FmBuildExtended } from "./api.js";

export type BuildDecision =
  /** Ready, same refs, no failed or unreviewed check: POST publish */
  | { kind: "publish" }
  /** flat-manager already publishes or published it (a restart, or a retried Flatgate job): follow that publish */
  | { kind: "follow" }
  /** never publishable as it stands; the reason names why */
  | { kind: "refuse"; reason: string };

const short = (c: string) => c.slice(0, 12);

/** Why the build's refs differ from the event's, or undefined when they are the same. */
export function refsDiffer(ext: FmBuildExtended, expected: Readonly<Record<string, string>>): string | undefined {
  // screenshots/<arch> refs are flat-manager's own; the event lists app and runtime refs only
  const actual = new Map(ext.build_refs.filter((r) => /^(app|runtime)\//.test(r.ref_name)).map((r) => [r.ref_name, r.commit]));
  const problems: string[] = [];
  for (const [ref, commit] of Object.entries(expected)) {
    const got = actual.get(ref);
    if (got === undefined) problems.push(`${ref} is missing from the build`);
    else if (got !== commit) problems.push(`${ref} is at ${short(got)} in the build, not ${short(commit)} as the event says`);
  }
  for (const ref of actual.keys()) if (!(ref in expected)) problems.push(`the build also has ${ref}, which the event does not list`);
  return problems.length ? `refs differ from the event: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""}` : undefined;
}

/**
 * `stage` "intake": a build flat-manager already published is refused (it cannot be a new
 * build); "publish": it is followed, so a retry or restart never publishes twice.
 */
export function decideBuild(ext: FmBuildExtended, expected: Readonly<Record<string, string>>, stage: "intake" | "publish"): BuildDecision {
  const b = ext.build;
  const id = `flat-manager build ${b.id}`;
  const differ = refsDiffer(ext, expected);
  if (differ) return { kind: "refuse", reason: `${id}: ${differ}` };
  if (b.published_state === PublishedState.Publishing || b.published_state === PublishedState.Published) {
    return stage === "publish" ? { kind: "follow" } : { kind: "refuse", reason: `${id} is already ${stateName(PUBLISHED_STATES, b.published_state).toLowerCase()}` };
  }
  if (b.published_state === PublishedState.Failed) {
    return { kind: "refuse", reason: `${id}: a previous publish failed${b.published_state_reason ? `: ${b.published_state_reason}` : ""} (flat-manager never retries a failed publish)` };
  }
  if (b.repo_state !== RepoState.Ready) {
    const state = stateName(REPO_STATES, b.repo_state);
    return { kind: "refuse", reason: `${id} is in repo_state ${state}, not Ready${b.repo_state_reason ? `: ${b.repo_state_reason}` : ""}` };
  }
  const blocking = ext.checks.filter((c) => c.status === CheckStatus.Failed || c.status === CheckStatus.ReviewRequired);
  if (blocking.length) {
    const list = blocking.map((c) => `${c.check_name} is ${stateName(CHECK_STATUSES, c.status)}${c.status_reason ? ` (${c.status_reason})` : ""}`);
    return { kind: "refuse", reason: `${id}: checks block it: ${list.join("; ")}` };
  }
  return { kind: "publish" };
}
