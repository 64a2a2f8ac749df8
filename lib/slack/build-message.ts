/**
 * Block Kit messages (pure): one per build, kept up to date as it moves, plus repo alerts and
 * thread replies. Limits (docs.slack.dev/reference/block-kit/blocks): ≤50 blocks, section text
 * ≤3000, ≤10 fields of ≤2000, header ≤150 plain text; `text` is always set (notifications,
 * screen readers). Everything user-supplied is escaped; cuts never split a link.
 */
import type { Build } from "../build.js";
import type { BuildState } from "../build-state.js";
import { escapeText, link, splitText, truncate } from "./mrkdwn.js";

export const LIMITS = { blocks: 50, sectionText: 3000, fields: 10, fieldText: 2000, header: 150, contextElements: 10, text: 40_000 } as const;

export interface TextObject {
  type: "mrkdwn" | "plain_text";
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: "header"; text: TextObject }
  | { type: "section"; text?: TextObject; fields?: TextObject[] }
  | { type: "context"; elements: TextObject[] }
  | { type: "divider" };

export interface SlackMessage {
  /** fallback for notifications and clients without blocks */
  text: string;
  blocks: SlackBlock[];
}

export interface BuildMessageContext {
  /** this build's page on the pipeline's status UI */
  statusUrl?: string;
  /** GitHub's web URL (default https://github.com; GitHub Enterprise differs) */
  githubWebUrl?: string;
}

const mrkdwn = (text: string): TextObject => ({ type: "mrkdwn", text });

const EMOJI: Record<BuildState, string> = {
  received: ":inbox_tray:",
  awaiting_approval: ":hourglass_flowing_sand:",
  approved: ":thumbsup:",
  queued: ":arrow_forward:",
  publishing: ":gear:",
  published: ":package:",
  live: ":white_check_mark:",
  build_failed: ":x:",
  rejected: ":no_entry:",
  superseded: ":fast_forward:",
  expired: ":clock3:",
  cancelled: ":heavy_multiplication_x:",
  failed: ":x:",
};

/** Who moved the build into `state` last, from its history. */
function actorOf(build: Build, state: BuildState): string | undefined {
  for (let i = build.history.length - 1; i >= 0; i--) {
    const h = build.history[i];
    if (h?.kind === "transition" && h.to === state) return h.actor.name;
  }
  return undefined;
}

function approvers(build: Build): string | undefined {
  if (build.approvals.length > 0) return build.approvals.map((a) => a.by).join(", ");
  if (build.approval_mode === "auto" && !["received", "build_failed"].includes(build.state)) return "auto-approved";
  return undefined;
}

function approvedPhrase(build: Build): string {
  const by = approvers(build);
  if (by === undefined) return "approved";
  return by === "auto-approved" ? by : `approved by ${by}`;
}

/** The one line a maintainer reads first (plain words; escaped by the caller). */
export function stateLine(build: Build): string {
  const reason = build.reason ? `: ${build.reason}` : "";
  switch (build.state) {
    case "received":
      return "received";
    case "awaiting_approval": {
      const count = build.approvals_required > 1 ? ` (${build.approvals.length} of ${build.approvals_required} approvals)` : "";
      const auto = build.auto_publish_at ? `, publishes automatically at ${build.auto_publish_at}` : "";
      return `awaiting approval${count}${auto}`;
    }
    case "approved":
      return approvedPhrase(build);
    case "queued":
      return `${approvedPhrase(build)}, queued for publishing`;
    case "publishing":
      return `publishing${build.publish_attempts > 1 ? ` (attempt ${build.publish_attempts})` : ""}`;
    case "published":
      return "published, waiting for the summary update and CDN purge";
    case "live": {
      const s = build.live?.seconds_from_approval;
      return s !== undefined ? `live in ${Math.round(s)} s` : "live";
    }
    case "build_failed":
      return `build failed${reason}`;
    case "failed":
      return `failed${reason || ": unknown reason"}`;
    case "rejected": {
      const who = actorOf(build, "rejected");
      return `rejected${who ? ` by ${who}` : ""}${reason}`;
    }
    case "superseded":
      return `superseded${build.superseded_by ? ` by build ${build.superseded_by}` : ""}`;
    case "expired":
      return "expired without approval";
    case "cancelled": {
      const who = actorOf(build, "cancelled");
      return `cancelled${who ? ` by ${who}` : ""}${reason}`;
    }
  }
}

/** Applies every Block Kit limit; the one place messages are made safe to send. */
export function fitMessage(text: string, blocks: SlackBlock[]): SlackMessage {
  const fitted = blocks.map((b): SlackBlock => {
    switch (b.type) {
      case "header":
        return { type: "header", text: { ...b.text, text: truncate(b.text.text, LIMITS.header) } };
      case "section": {
        const out: SlackBlock = { type: "section" };
        if (b.text) out.text = { ...b.text, text: truncate(b.text.text, LIMITS.sectionText) };
        if (b.fields) out.fields = b.fields.slice(0, LIMITS.fields).map((f) => ({ ...f, text: truncate(f.text, LIMITS.fieldText) }));
        return out;
      }
      case "context":
        return { type: "context", elements: b.elements.slice(0, LIMITS.contextElements).map((e) => ({ ...e, text: truncate(e.text, LIMITS.sectionText) })) };
      case "divider":
        return b;
    }
  });
  if (fitted.length > LIMITS.blocks) {
    const dropped = fitted.length - (LIMITS.blocks - 1);
    fitted.splice(LIMITS.blocks - 1, Infinity, { type: "context", elements: [mrkdwn(`… ${dropped} more block(s) not shown`)] });
  }
  return { text: truncate(text, LIMITS.text), blocks: fitted };
}

/** Long text as consecutive sections (each ≤3000), cut at line breaks, never inside a link. */
function sections(escaped: string): SlackBlock[] {
  return splitText(escaped, LIMITS.sectionText).map((t) => ({ type: "section", text: mrkdwn(t) }));
}

export function checkRunUrl(build: Build, githubWebUrl = "https://github.com"): string | undefined {
  const id = build.github?.check_run_id;
  if (id === undefined) return undefined;
  return `${githubWebUrl.replace(/\/+$/, "")}/${encodeURIComponent(build.source.owner)}/${encodeURIComponent(build.source.name)}/runs/${id}`;
}

function commitUrl(build: Build, githubWebUrl = "https://github.com"): string {
  return `${githubWebUrl.replace(/\/+$/, "")}/${encodeURIComponent(build.source.owner)}/${encodeURIComponent(build.source.name)}/commit/${build.source.sha}`;
}

/** The message of one build; the same function renders every update of it. */
export function buildMessage(build: Build, ctx: BuildMessageContext = {}): SlackMessage {
  const app = escapeText(build.app_id);
  const line = stateLine(build);
  const refs = build.published_refs ?? build.artifact?.refs ?? {};
  const refLines = Object.entries(refs).map(([ref, commit]) => `\`${escapeText(ref)}\` ${commit.slice(0, 12)}`);
  const targets: [string | undefined, string][] = [
    [checkRunUrl(build, ctx.githubWebUrl), "GitHub check run"],
    [build.build_log_url, "Build log"],
    [ctx.statusUrl, "Status page"],
  ];
  const links = targets.flatMap(([url, label]) => (url ? [link(url, label)] : []));

  const blocks: SlackBlock[] = [
    { type: "header", text: { type: "plain_text", text: `${EMOJI[build.state]} ${build.app_id} (${build.branch}) → ${build.repo}`, emoji: true } },
    { type: "section", text: mrkdwn(`*${escapeText(line.charAt(0).toUpperCase() + line.slice(1))}*`) },
    {
      type: "section",
      fields: [
        mrkdwn(`*App*\n${app}`),
        mrkdwn(`*Repo*\n${escapeText(build.repo)}`),
        mrkdwn(`*Branch*\n${escapeText(build.branch)}`),
        mrkdwn(`*Commit*\n${link(commitUrl(build, ctx.githubWebUrl), build.source.sha.slice(0, 7))} on ${escapeText(build.source.ref.replace(/^refs\/heads\//, ""))}`),
        mrkdwn(`*Triggered by*\n${escapeText(build.source.triggered_by)}`),
        mrkdwn(`*Approved by*\n${escapeText(approvers(build) ?? "—")}`),
      ],
    },
  ];
  if (refLines.length > 0) blocks.push({ type: "section", text: mrkdwn(`*OSTree ${build.published_refs ? "published " : ""}refs*\n${refLines.join("\n")}`) });
  blocks.push({
    type: "context",
    elements: [mrkdwn([...links, `build ${escapeText(build.build_id)}`, `updated ${escapeText(build.updated_at)}`].join(" · "))],
  });
  return fitMessage(`${app} (${escapeText(build.branch)}) → ${escapeText(build.repo)}: ${escapeText(line)}`, blocks);
}

/** A repo-level alert (purge failed after retries, repo master unreachable…). */
export function alertMessage(repo: string, text: string): SlackMessage {
  const body = escapeText(text);
  return fitMessage(`:rotating_light: ${escapeText(repo)}: ${body}`, [
    { type: "header", text: { type: "plain_text", text: `:rotating_light: ${repo}: alert`, emoji: true } },
    ...sections(body),
  ]);
}

/** A reply in a build's thread (refused approval, retries, purge failure). */
export function threadReply(text: string): SlackMessage {
  const body = escapeText(text);
  return fitMessage(body, sections(body));
}

/** A note about a build when it cannot go in the build's thread (webhook mode, no message yet). */
export function buildNoteMessage(build: Build, text: string): SlackMessage {
  const prefix = `*${escapeText(build.app_id)}* (${escapeText(build.branch)} → ${escapeText(build.repo)}): `;
  const body = prefix + escapeText(text);
  return fitMessage(`${escapeText(build.app_id)}: ${escapeText(text)}`, sections(body));
}
