/**
 * Housekeeping for flat-manager repos (issue 12): a build that ends superseded, rejected, expired
 * or cancelled without being published is purged from flat-manager's build repos
 * (`POST /api/v1/build/<id>/purge`), so it does not fill its disk. Pure.
 */
import type { Build } from "../build.js";
import type { BuildState } from "../build-state.js";
import type { RepoPolicy } from "../config.js";
import type { Effect } from "./effects.js";

const DISCARDED: ReadonlySet<BuildState> = new Set<BuildState>(["superseded", "rejected", "expired", "cancelled"]);

export function discardEffects(builds: readonly Build[], policy: (repo: string) => Pick<RepoPolicy, "backend"> | undefined): Effect[] {
  return builds
    .filter((b) => DISCARDED.has(b.state) && b.published_refs === undefined && policy(b.repo)?.backend === "flat-manager")
    .map((b) => ({ kind: "discard_build", build_key: b.key }));
}
