/**
 * The public, read-only status page of one build: what a maintainer reaches from the check run's
 * Details link or the Slack message, without an operator token. It shows what GitHub and Slack
 * already show (states, who acted, refs and commits), never configuration or secrets.
 */
import type { Build } from "../../lib/build.js";

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const NEXT_STEP: Partial<Record<Build["state"], string>> = {
  awaiting_approval: "Waiting for a maintainer: click <b>Publish</b> or <b>Reject</b> on the GitHub check run of the source commit (or an operator uses the API).",
  approved: "Approved; handing over to the repository's publish queue.",
  queued: "Queued for the repo master (it may be paused for maintenance).",
  publishing: "The repo master is importing and signing the build.",
  published: "Imported and signed; waiting for the next signed summary.",
  live: "Live: users see it in the signed summary.",
  failed: "Publishing failed; a maintainer can click <b>Retry</b> on the check run.",
};

export function renderStatusPage(build: Build): string {
  const refs = Object.entries(build.published_refs ?? build.artifact.refs)
    .map(([ref, commit]) => `<tr><td><code>${esc(ref)}</code></td><td><code>${esc(commit)}</code></td></tr>`)
    .join("");
  const history = build.history
    .map((h) => {
      const what = h.kind === "transition" ? `${esc(h.from ?? "·")} → <b>${esc(h.to ?? "")}</b>` : `${esc(h.kind)}: ${esc(h.action ?? "")}`;
      return `<tr><td>${esc(h.at)}</td><td>${what}</td><td>${esc(h.actor.kind)}:${h.actor.url ? `<a href="${esc(h.actor.url)}">${esc(h.actor.name)}</a>` : esc(h.actor.name)}</td><td>${esc(h.reason ?? "")}</td></tr>`;
    })
    .join("");
  const source = `https://github.com/${encodeURIComponent(build.source.owner)}/${encodeURIComponent(build.source.name)}/commit/${build.source.sha}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${esc(build.app_id)} ${esc(build.build_id)}: ${esc(build.state)}</title>
<style>body{font:15px/1.4 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}td{padding:.2rem .6rem;vertical-align:top}code{font-size:13px}.state{font-weight:bold}</style>
</head><body>
<h1>${esc(build.app_id)} <small>${esc(build.repo)} / ${esc(build.branch)} / build ${esc(build.build_id)}</small></h1>
<p class="state">State: ${esc(build.state)}${build.reason ? ` (${esc(build.reason)})` : ""}</p>
<p>${NEXT_STEP[build.state] ?? ""}</p>
<p>Source: <a href="${esc(source)}">${esc(build.source.owner)}/${esc(build.source.name)}@${esc(build.source.sha.slice(0, 12))}</a> (${esc(build.source.ref)}), triggered by ${esc(build.source.triggered_by)}${build.build_log_url ? ` · <a href="${esc(build.build_log_url)}">build log</a>` : ""}</p>
<p>Approvals: ${build.approvals.length}/${build.approvals_required}${build.approvals.length ? ` (${build.approvals.map((a) => esc(a.by)).join(", ")})` : ""}${build.auto_publish_at && build.state === "awaiting_approval" ? ` · publishes by itself at ${esc(build.auto_publish_at)}` : ""}${build.expires_at && build.state === "awaiting_approval" ? ` · expires at ${esc(build.expires_at)}` : ""}</p>
${build.live ? `<p>Live since ${esc(build.live.at)} in summary <code>${esc(build.live.summary_sha256)}</code></p>` : ""}
<h2>${build.published_refs ? "Refs in the repository" : "Refs of the build"}</h2><table>${refs}</table>
<h2>History</h2><table>${history}</table>
</body></html>`;
}
