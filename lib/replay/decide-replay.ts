/**
 * The replay ledger's one decision (issue 10, items 3, 6, 7), as a plain function over plain data:
 * has this key been seen, and with the same digest? The ReplayLedger Durable Object only loads
 * the row, calls this, and stores a new row when the answer is `new`.
 *
 * What key and digest mean is the caller's choice (see ledger-keys.ts): a webhook-id keyed to
 * the digest of its body, or the digest of a GitHub body keyed to its delivery id. The shared
 * rule: the same key with the same digest is a retry of one message (`duplicate`), the same key
 * with another digest is a second message claiming the first one's identity (`reused`).
 */

export interface LedgerEntry {
  digest: string;
  /** ms since the epoch */
  first_seen: number;
  /** ms since the epoch; the row means nothing from then on and the alarm deletes it */
  expires_at: number;
}

export type ReplayDecision =
  /** never seen (or only long enough ago that the entry expired): the caller's entry is now recorded */
  | { kind: "new" }
  /** seen with the same digest: a retry or redelivery of the same message */
  | { kind: "duplicate"; first_seen: number }
  /** seen with a different digest: not the message the key was first used for */
  | { kind: "reused"; first_seen: number };

export function decideReplay(existing: LedgerEntry | undefined, digest: string, now: number): ReplayDecision {
  // an expired row may still be on disk until the next prune: it is not evidence of anything
  if (!existing || existing.expires_at <= now) return { kind: "new" };
  return existing.digest === digest ? { kind: "duplicate", first_seen: existing.first_seen } : { kind: "reused", first_seen: existing.first_seen };
}
