/**
 * The public, read-only status page of one build: what a maintainer reaches from the check run's
 * Details link or the Slack message, without an operator token. It shows what GitHub and Slack
 * already show (states, who acted, refs and commits), never configuration or secrets.
 */
import type { Build } from "../../lib/build.js";
import { isTerminal } from "../../lib/build-state.js";
import { splitBuildKey } from "../../lib/ids.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

export interface StatusPageContext {
  /** whether the GitHub App is configured: without it there are no check-run buttons to point at */
  github: boolean;
}

/** Seconds between reloads while the build can still change (issue 10 item 16). */
export const REFRESH_SECONDS = 10;

// 64-hex commits and summary digests must wrap inside a 400 px viewport: no horizontal scroll
const STYLE =
  "body{font:15px/1.4 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;overflow-wrap:anywhere}" +
  "table{border-collapse:collapse}td{padding:.2rem .6rem;vertical-align:top}" +
  "code{font-size:13px;word-break:break-all}.state{font-weight:bold}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:bold}dd{margin:0}";

/** The page for a build at a given location under /status (relative, so it works behind any base URL). */
export function statusPagePath(key: string): string | undefined {
  const k = splitBuildKey(key);
  return k ? `/status/${encodeURIComponent(k.repo)}/${encodeURIComponent(k.appId)}/${encodeURIComponent(k.buildId)}` : undefined;
}

function nextStep(build: Build, ctx: StatusPageContext): string | undefined {
  switch (build.state) {
    case "awaiting_approval":
      return ctx.github
        ? "Waiting for a maintainer: click <b>Publish</b> or <b>Reject</b> on the GitHub check run of the source commit (or an operator uses the API)."
        : "Waiting for an operator to approve or reject it through the operator API (GitHub approval is not configured for this pipeline).";
    case "approved":
      return "Approved; handing over to the repository's publish queue.";
    case "queued":
      return "Queued for the repo master (it may be paused for maintenance).";
    case "publishing":
      return "The repo master is importing and signing the build.";
    case "published":
      return "Imported and signed; waiting for the next signed summary.";
    case "live":
      return "Live: users see it in the signed summary.";
    case "failed":
      return ctx.github
        ? "Publishing failed; a maintainer can click <b>Retry</b> on the check run."
        : "Publishing failed; an operator can retry it through the operator API.";
    case "superseded": {
      const newer = build.superseded_by;
      const path = newer ? statusPagePath(newer) : undefined;
      if (newer && path) return `Superseded by a newer build of the branch: <a href="${esc(path)}">${esc(newer)}</a>.`;
      return newer ? `Superseded by ${esc(newer)}.` : "Superseded by a newer build of the branch.";
    }
    default:
      return undefined;
  }
}

export function renderStatusPage(build: Build, ctx: StatusPageContext): string {
  const refs = Object.entries(build.published_refs ?? build.artifact?.refs ?? {})
    .map(([ref, commit]) => `<tr><td><code>${esc(ref)}</code></td><td><code>${esc(commit)}</code></td></tr>`)
    .join("");
  const history = build.history
    .map((h) => {
      const what = h.kind === "transition" ? `${esc(h.from ?? "·")} → <b>${esc(h.to ?? "")}</b>` : `${esc(h.kind)}: ${esc(h.action ?? "")}`;
      return `<tr><td>${esc(h.at)}</td><td>${what}</td><td>${esc(h.actor.kind)}:${esc(h.actor.name)}</td><td>${esc(h.reason ?? "")}</td></tr>`;
    })
    .join("");
  // a superseded build's reason is whatever it last failed with: the successor says all there is
  const reason = build.reason && build.state !== "superseded" ? ` (${esc(build.reason)})` : "";
  const step = nextStep(build, ctx);
  const refresh = isTerminal(build.state) ? "" : `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">`;
  const source = `https://github.com/${encodeURIComponent(build.source.owner)}/${encodeURIComponent(build.source.name)}/commit/${build.source.sha}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${refresh}
<title>${esc(build.app_id)} ${esc(build.build_id)}: ${esc(build.state)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${esc(build.app_id)}</h1>
<dl><dt>Repository</dt><dd>${esc(build.repo)}</dd><dt>Branch</dt><dd>${esc(build.branch)}</dd><dt>Build</dt><dd>${esc(build.build_id)}</dd></dl>
<p class="state">State: ${esc(build.state)}${reason}</p>
${step ? `<p>${step}</p>` : ""}${refresh ? `<p><small>This page reloads every ${REFRESH_SECONDS} s until the build is final.</small></p>` : ""}
<p>Source: <a href="${esc(source)}">${esc(build.source.owner)}/${esc(build.source.name)}@${esc(build.source.sha.slice(0, 12))}</a> (${esc(build.source.ref)}), triggered by ${esc(build.source.triggered_by)}${build.build_log_url ? ` · <a href="${esc(build.build_log_url)}">build log</a>` : ""}</p>
<p>Approvals: ${build.approvals.length}/${build.approvals_required}${build.approvals.length ? ` (${build.approvals.map((a) => esc(a.by)).join(", ")})` : ""}${build.auto_publish_at && build.state === "awaiting_approval" ? ` · publishes by itself at ${esc(build.auto_publish_at)}` : ""}${build.expires_at && build.state === "awaiting_approval" ? ` · expires at ${esc(build.expires_at)}` : ""}</p>
${build.live ? `<p>Live since ${esc(build.live.at)} in summary <code>${esc(build.live.summary_sha256)}</code></p>` : ""}
${refs ? `<h2>${build.published_refs ? "Refs in the repository" : "Refs of the build"}</h2><table>${refs}</table>` : ""}
<h2>History</h2><table>${history}</table>
</body></html>`;
}

/** An HTML 404 for people who follow a stale or mistyped link. */
export function renderNotFoundPage(what: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Not found</title>
<style>${STYLE}</style>
</head><body>
<h1>Not found</h1>
<p>${esc(what)}</p>
<p>Status pages live at <code>/status/&lt;repo&gt;/&lt;app_id&gt;/&lt;build_id&gt;</code>; the build's GitHub check run and Slack message link to the right one.</p>
</body></html>`;
}
