/**
 * webhook-ids seen recently. A signature is valid for ±5 minutes, so remembering ids for 10
 * minutes covers every window in which a captured request could be replayed. In memory only:
 * after a restart a replayed POST /v1/jobs still hits the job_id idempotency check.
 */
export const REPLAY_WINDOW_MS = 10 * 60_000;

export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records the id; false when it was already seen within the window. */
  remember(id: string): boolean {
    const t = this.now();
    // Map keeps insertion order, so expired ids are at the front
    for (const [k, expires] of this.seen) {
      if (expires > t) break;
      this.seen.delete(k);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, t + REPLAY_WINDOW_MS);
    return true;
  }
}
