/**
 * Time-driven transitions of the publisher: approvals that expire (`approval_ttl_hours`) and
 * delayed-approval builds that publish by themselves (`auto_publish_after_hours`).
 */
import type { Build } from "../build.js";
import { mirror, type Effect } from "./effects.js";
import { transition } from "./transition.js";

export interface DueOutcome {
  changed: Build[];
  effects: Effect[];
}

export function runDueTimers(builds: readonly Build[], now: Date): DueOutcome {
  const changed: Build[] = [];
  const effects: Effect[] = [];
  const at = now.toISOString();
  for (const b of builds) {
    if (b.state !== "awaiting_approval") continue;
    if (b.auto_publish_at && b.auto_publish_at <= at) {
      const next = transition(b, "approved", { kind: "system", name: "auto-publish" }, now, "no rejection before the auto-publish time", "approve");
      if (next.ok) {
        changed.push(next.value);
        effects.push(...mirror(b.key), { kind: "enqueue", build_key: b.key });
      }
    } else if (b.expires_at && b.expires_at <= at) {
      const next = transition(b, "expired", { kind: "system", name: "expiry" }, now, "not approved within approval_ttl_hours");
      if (next.ok) {
        changed.push(next.value);
        effects.push(...mirror(b.key));
      }
    }
  }
  return { changed, effects };
}

/** The earliest time a timer of these builds is due, for the alarm. */
export function nextTimer(builds: readonly Build[]): number | undefined {
  let next: number | undefined;
  for (const b of builds) {
    if (b.state !== "awaiting_approval") continue;
    for (const t of [b.auto_publish_at, b.expires_at]) {
      if (!t) continue;
      const ms = Date.parse(t);
      if (next === undefined || ms < next) next = ms;
    }
  }
  return next;
}
