/** The publish queue: the next batch that is ready to go, from the oldest ready entries. */
import type { QueuedBuild } from "./state.js";

/**
 * The oldest ready builds, at most `size`, keeping one build per ref (a later build of the same
 * ref waits for the next job, so one job never carries two commits for one ref).
 */
export function nextBatch(candidates: readonly QueuedBuild[], now: number, size: number): QueuedBuild[] {
  const batch: QueuedBuild[] = [];
  const refs = new Set<string>();
  for (const q of candidates) {
    if (batch.length >= size) break;
    if (q.ready_at > now || q.job_id !== undefined) continue;
    const mine = Object.keys(q.artifact.refs);
    if (mine.some((r) => refs.has(r))) continue;
    mine.forEach((r) => refs.add(r));
    batch.push(q);
  }
  return batch;
}

/**
 * How many published builds one update-repo covers: all that wait, up to `maxRefs` refs (the
 * agent contract's cap on `changed_refs`), oldest first. The rest go in the next update.
 */
export function updateBatch<T extends { refs: Record<string, string> }>(waiting: readonly T[], maxRefs: number): T[] {
  const out: T[] = [];
  const refs = new Set<string>();
  for (const p of waiting) {
    const mine = Object.keys(p.refs);
    const added = mine.filter((r) => !refs.has(r)).length;
    if (out.length > 0 && refs.size + added > maxRefs) break;
    mine.forEach((r) => refs.add(r));
    out.push(p);
  }
  return out;
}
