/**
 * A build-complete event arriving at the app's publisher (issue 2): a new build, the same build
 * again (duplicate), or a different body under an existing build id (conflict). A new successful
 * build supersedes the older builds of its branch that are not yet publishing.
 */
import type { Actor, Build } from "../build.js";
import type { BuildEvent } from "../build-event.js";
import { SUPERSEDABLE } from "../build-state.js";
import { canonicalJson } from "../canonical-json.js";
import type { RepoPolicy } from "../config.js";
import { buildKey } from "../ids.js";
import { mirror, type Effect } from "./effects.js";
import { transition } from "./transition.js";

export type ReceiveOutcome =
  | { kind: "duplicate"; build: Build }
  | { kind: "conflict"; build: Build }
  | { kind: "created"; build: Build; superseded: Build[]; effects: Effect[] };

const HOUR_MS = 3_600_000;

/** The event fields a build record keeps, to tell a re-send from a conflicting body. */
export function eventOf(b: Pick<Build, "repo" | "app_id" | "branch" | "build_id" | "status" | "source" | "artifact" | "build_log_url">): BuildEvent {
  return {
    repo: b.repo,
    app_id: b.app_id,
    branch: b.branch,
    build_id: b.build_id,
    status: b.status,
    source: b.source,
    ...(b.artifact !== undefined ? { artifact: b.artifact } : {}),
    ...(b.build_log_url !== undefined ? { build_log_url: b.build_log_url } : {}),
  };
}

/**
 * `worker` names the build worker that delivered the event (its credential); who triggered the
 * build (`source.triggered_by`) is a different person and stays in `source`.
 */
export function receiveBuild(existing: readonly Build[], event: BuildEvent, policy: RepoPolicy, now: Date, worker = "build-webhook"): ReceiveOutcome {
  const key = buildKey(event.repo, event.app_id, event.build_id);
  const same = existing.find((b) => b.key === key);
  if (same) {
    return canonicalJson(eventOf(same)) === canonicalJson(eventOf(event)) ? { kind: "duplicate", build: same } : { kind: "conflict", build: same };
  }

  const deliveredBy: Actor = { kind: "build_worker", name: worker };
  const at = now.toISOString();
  const received: Build = {
    key,
    ...eventOf(event),
    state: "received",
    approval_mode: policy.approval,
    approvals_required: policy.approvals_required,
    approvals: [],
    received_at: at,
    updated_at: at,
    publish_attempts: 0,
    history: [{ at, kind: "transition", to: "received", actor: deliveredBy, reason: `triggered by ${event.source.triggered_by}` }],
  };

  let build: Build;
  const effects: Effect[] = [...mirror(key)];
  if (event.status === "failure") {
    build = must(transition(received, "build_failed", deliveredBy, now, "the build worker reported a failed build"));
  } else if (policy.approval === "auto") {
    build = must(transition(received, "approved", { kind: "system", name: "policy" }, now, "auto-approved: repo approval is auto"));
    effects.push({ kind: "enqueue", build_key: key });
  } else {
    build = must(transition(received, "awaiting_approval", { kind: "system", name: "policy" }, now));
    build.expires_at = new Date(now.getTime() + policy.approval_ttl_hours * HOUR_MS).toISOString();
    if (policy.approval === "delayed" && policy.auto_publish_after_hours !== undefined) {
      build.auto_publish_at = new Date(now.getTime() + policy.auto_publish_after_hours * HOUR_MS).toISOString();
      // a delayed build publishes by itself; it must not expire before its own publish time
      if (build.auto_publish_at >= build.expires_at) delete build.expires_at;
    }
  }

  // A failed build replaces nothing: the older good build is still the one to publish.
  const superseded: Build[] = [];
  if (build.state !== "build_failed") {
    for (const old of existing) {
      if (old.branch !== event.branch || !SUPERSEDABLE.includes(old.state)) continue;
      const next = transition(old, "superseded", { kind: "system", name: "supersede" }, now, `superseded by ${key}`);
      if (next.ok) {
        // whatever it last failed with no longer describes it: its successor does
        const { reason: _stale, ...rest } = next.value;
        superseded.push({ ...rest, superseded_by: key });
        effects.push(...mirror(old.key));
      }
    }
  }
  return { kind: "created", build, superseded, effects };
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`impossible transition: ${JSON.stringify(r.error)}`);
  return r.value;
}
