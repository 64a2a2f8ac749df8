/** The publish queue: idempotent enqueue, and the next batch that is ready to go. */
import type { CoordinatorState, QueuedBuild } from "./state.js";

/** True when the build is already somewhere in the pipeline of this coordinator. */
export function knows(state: CoordinatorState, buildKey: string): boolean {
  return (
    state.queue.some((q) => q.build_key === buildKey) ||
    state.published.some((p) => p.build_key === buildKey) ||
    (state.publish_job?.build_keys.includes(buildKey) ?? false) ||
    (state.update_job?.build_keys.includes(buildKey) ?? false)
  );
}

export function enqueue(state: CoordinatorState, item: Omit<QueuedBuild, "enqueued_at" | "attempts" | "ready_at">, now: number): CoordinatorState {
  if (knows(state, item.build_key)) return state;
  return { ...state, queue: [...state.queue, { ...item, enqueued_at: now, attempts: 0, ready_at: now }] };
}

/** The oldest ready builds, at most `size`, keeping one build per ref (a later build of the same ref waits). */
export function nextBatch(state: CoordinatorState, now: number, size: number): QueuedBuild[] {
  const batch: QueuedBuild[] = [];
  const refs = new Set<string>();
  for (const q of state.queue) {
    if (batch.length >= size) break;
    if (q.ready_at > now) continue;
    const mine = Object.keys(q.artifact.refs);
    if (mine.some((r) => refs.has(r))) continue;
    mine.forEach((r) => refs.add(r));
    batch.push(q);
  }
  return batch;
}

export function earliestReady(state: CoordinatorState): number | undefined {
  return state.queue.reduce<number | undefined>((min, q) => (min === undefined || q.ready_at < min ? q.ready_at : min), undefined);
}
