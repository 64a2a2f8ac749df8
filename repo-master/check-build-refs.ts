/**
 * A build may only carry its own app's refs (`app/<id>/…` and its `runtime/<id>.Locale|Debug/…`
 * extensions), all on one branch: otherwise a build worker of one app could overwrite another.
 */
import { parseRef, refBelongsTo } from "../lib/ids.js";
import type { PublishBuild } from "../lib/repo-master-contract.js";
import { permanent, type BuildFailure } from "./build-failure.js";

export function checkBuildRefs(build: PublishBuild): BuildFailure | undefined {
  const refs = Object.keys(build.artifact.refs);
  const branch = parseRef(refs[0] ?? "")?.branch;
  if (branch === undefined) return permanent("the build lists no valid ref");
  for (const ref of refs) {
    if (!refBelongsTo(ref, build.app_id, branch)) {
      return permanent(`ref ${ref} does not belong to ${build.app_id} on branch ${branch}`);
    }
  }
  return undefined;
}
