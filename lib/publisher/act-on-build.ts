/**
 * What people do to a build: approve, reject, cancel, retry (operator API and check-run buttons).
 * Policy lives here: GitHub approvers need a role in `approver_roles`, may be barred from
 * approving their own build, and `approvals_required` distinct approvers are needed.
 * A refused action changes no state but is recorded in the history and mirrored to GitHub.
 */
import type { Actor, Build, BuildAction } from "../build.js";
import type { BuildState } from "../build-state.js";
import type { RepoPolicy } from "../config.js";
import { mirror, type Effect } from "./effects.js";
import { note, transition } from "./transition.js";

export type ActOutcome =
  | { kind: "changed"; build: Build; effects: Effect[] }
  /** recorded but not (yet) a state change: an approval short of the quorum */
  | { kind: "recorded"; build: Build; effects: Effect[] }
  /** a policy refusal: recorded in the history, no state change */
  | { kind: "refused"; build: Build; effects: Effect[]; code: "forbidden"; reason: string }
  | { kind: "invalid_transition"; build: Build; state: BuildState };

const TARGET: Record<BuildAction, BuildState> = {
  approve: "approved",
  reject: "rejected",
  cancel: "cancelled",
  retry: "queued",
};

export function actOnBuild(build: Build, action: BuildAction, actor: Actor, policy: RepoPolicy, now: Date, reason?: string): ActOutcome {
  const refusal = policyRefusal(build, action, actor, policy);
  if (refusal) {
    const refused = note(build, "refused", actor, now, action, refusal);
    return { kind: "refused", build: refused, code: "forbidden", reason: refusal, effects: [...mirror(build.key), { kind: "slack_reply", build_key: build.key, text: `${describe(actor)} tried to ${action}: refused, ${refusal}` }] };
  }
  // Approving an approved build, or approving a build awaiting approval again: nothing to refuse,
  // but only awaiting_approval can take an approval.
  if (action === "approve" && build.state === "awaiting_approval") return approve(build, actor, now, reason);

  const moved = transition(build, TARGET[action], actor, now, reason, action);
  if (!moved.ok) return { kind: "invalid_transition", build, state: build.state };
  const next = moved.value;
  const effects: Effect[] = [...mirror(build.key)];
  if (action === "retry") {
    delete next.reason; // publish_attempts keeps counting: it is the build's whole record
    effects.push({ kind: "enqueue", build_key: build.key }, { kind: "slack_reply", build_key: build.key, text: `${describe(actor)} retried the publish` });
  }
  if (action === "reject" || action === "cancel") next.reason = reason ?? `${action}ed by ${actor.name}`;
  return { kind: "changed", build: next, effects };
}

function approve(build: Build, actor: Actor, now: Date, reason?: string): ActOutcome {
  const approvals = build.approvals.some((a) => a.by === actor.name && a.actor_kind === actor.kind)
    ? build.approvals
    : [...build.approvals, { by: actor.name, actor_kind: actor.kind, at: now.toISOString() }];
  // Operators act for the whole team: their approval is enough on its own.
  const enough = actor.kind === "operator" || actor.kind === "system" || approvals.length >= build.approvals_required;
  if (!enough) {
    const recorded = note({ ...build, approvals }, "note", actor, now, "approve", `approval ${approvals.length}/${build.approvals_required}`);
    return { kind: "recorded", build: recorded, effects: mirror(build.key) };
  }
  const moved = transition({ ...build, approvals }, "approved", actor, now, reason, "approve");
  if (!moved.ok) return { kind: "invalid_transition", build, state: build.state };
  return { kind: "changed", build: moved.value, effects: [...mirror(build.key), { kind: "enqueue", build_key: build.key }] };
}

function policyRefusal(build: Build, action: BuildAction, actor: Actor, policy: RepoPolicy): string | undefined {
  if (actor.kind !== "github") return undefined;
  if (action === "cancel") return "cancel is an operator action";
  if (!actor.role) return `${actor.name} is not a collaborator of ${build.source.owner}/${build.source.name}`;
  if (!policy.approver_roles.includes(actor.role)) {
    return `role ${actor.role} of ${actor.name} is not one of ${policy.approver_roles.join(", ")}`;
  }
  if (action === "approve" && policy.prevent_self_approval && actor.name.toLowerCase() === build.source.triggered_by.toLowerCase()) {
    return `${actor.name} triggered this build and may not approve it (prevent_self_approval)`;
  }
  return undefined;
}

function describe(actor: Actor): string {
  return actor.kind === "github" ? `@${actor.name}` : actor.name;
}
