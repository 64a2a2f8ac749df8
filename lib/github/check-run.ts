/**
 * Pure projection of a build onto its GitHub check run "Publish to <repo>" (issue 4): one check
 * run per build on `source.sha`, updated as the build moves.
 *
 * Buttons: GitHub shows a check run's `actions` "after the check run completes"
 * (docs.github.com/rest/guides/using-the-rest-api-to-interact-with-checks, "Check runs and
 * requested actions"; the REST reference says the same of the `actions` parameter). So a build
 * waiting for a maintainer is `status: completed` + `conclusion: action_required` with
 * Publish/Reject, which also keeps the commit from looking green before it is live; the REST
 * reference asks that `action_required` runs explain themselves on `details_url`, our status
 * page. Later states PATCH the same run back to `in_progress` (no conclusion; GitHub refuses a
 * null one) or to their final conclusion. Every body carries `actions` (`[]` included): a PATCH
 * without it would keep the previous buttons.
 */
import type { Actor, Build, HistoryEntry } from "../build.js";
import type { BuildState } from "../build-state.js";
import {
  CHECK_RUN_LIMITS,
  type CheckRunAction,
  type CheckRunBody,
  type CheckRunConclusion,
  type CheckRunStatus,
} from "./checks-api.js";

export interface CheckRunContext {
  /** the build's status page: `details_url` and the link in the summary */
  detailsUrl?: string;
  /** the status page of `build.superseded_by`, linked from a superseded build */
  newerBuildUrl?: string;
}

/** Button identifiers; webhook-event.ts maps them back (publish → approve). */
export const CHECK_RUN_ACTIONS = {
  publish: { label: "Publish", identifier: "publish" },
  publishNow: { label: "Publish now", identifier: "publish" },
  reject: { label: "Reject", identifier: "reject" },
  retry: { label: "Retry", identifier: "retry" },
} as const;

export function checkRunName(repo: string): string {
  return `Publish to ${repo}`;
}

interface StateView {
  status: CheckRunStatus;
  conclusion?: CheckRunConclusion;
  title: string;
  /** markdown paragraphs explaining the state */
  lines: string[];
  actions: CheckRunAction[];
}

export function projectCheckRun(build: Build, ctx: CheckRunContext = {}): CheckRunBody {
  const view = stateView(build, ctx);
  const completed = view.status === "completed";
  const body: CheckRunBody = {
    name: checkRunName(build.repo),
    head_sha: build.source.sha,
    external_id: build.key,
    status: view.status,
    started_at: build.received_at,
    output: {
      title: clip(view.title, 255),
      summary: clip(summary(build, view, ctx), CHECK_RUN_LIMITS.outputChars),
      text: clip(historyText(build), CHECK_RUN_LIMITS.outputChars),
    },
    actions: view.actions.slice(0, CHECK_RUN_LIMITS.actions).map(fitAction),
  };
  if (ctx.detailsUrl) body.details_url = ctx.detailsUrl;
  if (completed) {
    body.conclusion = view.conclusion;
    body.completed_at = enteredAt(build, build.state);
  }
  return body;
}

function stateView(build: Build, ctx: CheckRunContext): StateView {
  const state: BuildState = build.state;
  switch (state) {
    case "received":
      // auto-approve repos go straight on; the others are about to ask for approval
      return build.approval_mode === "auto"
        ? { status: "queued", title: "Received; publishes without approval", lines: ["This repo publishes builds without approval."], actions: [] }
        : awaitingApproval(build);
    case "awaiting_approval":
      return awaitingApproval(build);
    case "approved":
      return { status: "in_progress", title: "Approved; waiting for the publish queue", lines: [approvedLine(build)], actions: [] };
    case "queued":
      return {
        status: "in_progress",
        title: "Queued for publishing",
        lines: [approvedLine(build), ...(build.publish_attempts > 0 ? [`Publish attempt ${build.publish_attempts + 1}.`] : [])],
        actions: [],
      };
    case "publishing":
      return { status: "in_progress", title: "Publishing: importing and signing the commits", lines: [approvedLine(build)], actions: [] };
    case "published":
      return {
        status: "in_progress",
        title: "Published; waiting for the summary update and CDN purge",
        lines: [approvedLine(build), "The commits are in the repo; users see them once the signed summary is regenerated and the CDN purged."],
        actions: [],
      };
    case "live": {
      const live = build.live;
      const lines = [approvedLine(build)];
      if (live) {
        const after = live.seconds_from_approval !== undefined ? ` (${live.seconds_from_approval} s after approval)` : "";
        lines.push(`Live since ${time(live.at)}${after}: summary \`${live.summary_sha256}\`.`);
      }
      return { status: "completed", conclusion: "success", title: `Live in ${build.repo}`, lines, actions: [] };
    }
    case "failed":
      return {
        status: "completed",
        conclusion: "failure",
        title: "Publish failed",
        lines: [
          `Reason: ${oneLine(build.reason ?? "not recorded")}`,
          `After ${build.publish_attempts} attempt${build.publish_attempts === 1 ? "" : "s"}. **Retry** queues the publish again.`,
        ],
        actions: [{ ...CHECK_RUN_ACTIONS.retry, description: "Queue this publish again" }],
      };
    case "rejected":
      return stoppedBy(build, "rejected", "Rejected");
    case "superseded": {
      const newer = build.superseded_by;
      const link = newer && ctx.newerBuildUrl ? `[\`${newer}\`](${ctx.newerBuildUrl})` : newer ? `\`${newer}\`` : "a newer build";
      return {
        status: "completed",
        conclusion: "neutral",
        title: newer ? `Superseded by ${newer}` : "Superseded by a newer build",
        lines: [`A newer build of branch \`${build.branch}\` replaced this one: ${link}.`],
        actions: [],
      };
    }
    case "expired":
      return {
        status: "completed",
        conclusion: "timed_out",
        title: "Expired without approval",
        lines: [`Nobody approved this build${build.expires_at ? ` by ${time(build.expires_at)}` : " in time"}; it will not be published.`],
        actions: [],
      };
    case "build_failed":
      return {
        status: "completed",
        conclusion: "failure",
        title: "Build failed",
        lines: [
          `The build worker reported a failure, so there is nothing to publish${build.reason ? `: ${oneLine(build.reason)}` : "."}`,
          build.build_log_url ? `See the [build log](${build.build_log_url}).` : "No build log link was sent.",
        ],
        actions: [],
      };
    case "cancelled":
      return stoppedBy(build, "cancelled", "Cancelled");
  }
}

/** Rejected or cancelled by someone: GitHub's `cancelled` conclusion, with who and why. */
function stoppedBy(build: Build, state: "rejected" | "cancelled", verb: string): StateView {
  const by = enteredBy(build, state);
  return {
    status: "completed",
    conclusion: "cancelled",
    title: by ? `${verb} by ${actorName(by)}` : verb,
    lines: [`${verb}${by ? ` by ${actorName(by)}` : ""}${reasonSuffix(build)}`],
    actions: [],
  };
}

function awaitingApproval(build: Build): StateView {
  const got = distinctApprovers(build);
  const need = build.approvals_required;
  const delayed = build.approval_mode === "delayed";
  const lines: string[] = [];
  if (delayed && build.auto_publish_at) {
    lines.push(`Publishes by itself at ${time(build.auto_publish_at)} unless rejected. **Publish now** skips the wait.`);
  } else {
    lines.push("A maintainer publishes it with **Publish** or stops it with **Reject**.");
  }
  if (need > 1 || got.length > 0) {
    lines.push(`Approvals: ${got.length}/${need}${got.length ? ` (${got.map((a) => approverName(a)).join(", ")})` : ""}.`);
  }
  if (build.expires_at && !delayed) lines.push(`Expires at ${time(build.expires_at)} without approval.`);
  const publish = delayed ? CHECK_RUN_ACTIONS.publishNow : CHECK_RUN_ACTIONS.publish;
  const publishDescription =
    need > 1 ? `Add your approval (${got.length}/${need} so far)` : delayed ? "Publish without waiting" : `Approve and publish to ${build.repo}`;
  const title = delayed && build.auto_publish_at ? `Publishes at ${time(build.auto_publish_at)} unless rejected` : `Waiting for approval (${got.length}/${need})`;
  return {
    status: "completed",
    conclusion: "action_required",
    title,
    lines,
    actions: [
      { ...publish, description: publishDescription },
      { ...CHECK_RUN_ACTIONS.reject, description: "Reject this build; it is not published" },
    ],
  };
}

function summary(build: Build, view: StateView, ctx: CheckRunContext): string {
  const parts: string[] = [`**${view.title}**`, ...view.lines];
  const refused = lastRefusal(build);
  if (refused) parts.push(`> ${refusalLine(refused)}`);
  const facts = [
    `- App: \`${build.app_id}\`, branch \`${build.branch}\`, build \`${build.build_id}\``,
    `- Source: \`${build.source.owner}/${build.source.name}\` at \`${build.source.sha}\` (\`${build.source.ref}\`)`,
    `- Triggered by: @${build.source.triggered_by}`,
    `- Build log: ${build.build_log_url ? `[link](${build.build_log_url})` : "not sent"}`,
  ];
  if (ctx.detailsUrl) facts.push(`- Status page: [${build.key}](${ctx.detailsUrl})`);
  parts.push(facts.join("\n"));
  const refs = build.published_refs ?? build.artifact?.refs ?? {};
  const rows = Object.entries(refs).map(([ref, commit]) => `| \`${ref}\` | \`${commit}\` |`);
  if (rows.length) parts.push(["| Ref | Commit |", "|---|---|", ...rows].join("\n"));
  return parts.join("\n\n");
}

/** The audit trail, newest last, in `output.text` (shown under the summary). */
function historyText(build: Build): string {
  const lines = build.history.map((h) => {
    const what =
      h.kind === "transition" ? `${h.from ?? "∅"} → ${h.to ?? "?"}` : h.kind === "refused" ? `refused ${h.action ?? "action"}` : h.action ?? "note";
    return `- ${time(h.at)}: ${what} by ${actorName(h.actor)}${h.reason ? `: ${oneLine(h.reason)}` : ""}`;
  });
  return lines.length ? `### History\n\n${lines.join("\n")}` : "";
}

/** The last refused click since the build last changed state, so an old refusal does not linger. */
export function lastRefusal(build: Build): HistoryEntry | undefined {
  for (let i = build.history.length - 1; i >= 0; i--) {
    const h = build.history[i]!;
    if (h.kind === "transition") return undefined;
    if (h.kind === "refused") return h;
  }
  return undefined;
}

const ACTION_NOUNS: Record<string, string> = { approve: "approval", reject: "rejection", retry: "retry", cancel: "cancellation" };

/** "@bob's approval was refused: role read is not in admin, maintain, write" */
export function refusalLine(h: HistoryEntry): string {
  const noun = ACTION_NOUNS[h.action ?? ""] ?? h.action ?? "action";
  return `${actorName(h.actor)}'s ${noun} was refused${h.reason ? `: ${oneLine(h.reason)}` : ""}`;
}

function approvedLine(build: Build): string {
  const got = distinctApprovers(build);
  if (got.length) return `Approved by ${got.map((a) => approverName(a)).join(", ")} (${got.length}/${build.approvals_required}).`;
  const by = enteredBy(build, "approved");
  if (build.approval_mode === "auto") return "Approved automatically: this repo publishes without approval.";
  if (build.approval_mode === "delayed") return "Approved automatically when the publish delay ran out.";
  return by ? `Approved by ${actorName(by)}.` : "Approved.";
}

function distinctApprovers(build: Build): Build["approvals"] {
  const seen = new Set<string>();
  return build.approvals.filter((a) => (seen.has(a.by) ? false : (seen.add(a.by), true)));
}

function approverName(a: Build["approvals"][number]): string {
  return actorName({ kind: a.actor_kind, name: a.by });
}

function actorName(a: Actor): string {
  switch (a.kind) {
    case "github":
      return `@${a.name}`;
    case "operator":
      return `${a.name} (operator)`;
    case "build_worker":
      return `${a.name} (build worker)`;
    case "system":
      return `the ${a.name}`;
  }
}

function lastTransitionTo(build: Build, state: BuildState): HistoryEntry | undefined {
  for (let i = build.history.length - 1; i >= 0; i--) {
    const h = build.history[i]!;
    if (h.kind === "transition" && h.to === state) return h;
  }
  return undefined;
}

function enteredBy(build: Build, state: BuildState): Actor | undefined {
  return lastTransitionTo(build, state)?.actor;
}

function enteredAt(build: Build, state: BuildState): string {
  return state === "live" && build.live ? build.live.at : lastTransitionTo(build, state)?.at ?? build.updated_at;
}

function reasonSuffix(build: Build): string {
  const reason = lastTransitionTo(build, build.state)?.reason ?? build.reason;
  return reason ? `: ${oneLine(reason)}` : ".";
}

function fitAction(a: CheckRunAction): CheckRunAction {
  return {
    label: clip(a.label, CHECK_RUN_LIMITS.actionLabel),
    description: clip(a.description, CHECK_RUN_LIMITS.actionDescription),
    identifier: a.identifier.slice(0, CHECK_RUN_LIMITS.actionIdentifier),
  };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim().slice(0, 1000);
}

/** `2026-11-25 10:14 UTC`: readable in the GitHub UI, unambiguous across time zones. */
function time(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
