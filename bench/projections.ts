/**
 * 5. The projections rendered on every state change of a build: the Slack message
 * (`buildMessage`) and the GitHub check-run body (`projectCheckRun`, whose `output.text` is the
 * whole history). Measured on a build with a 200-entry history, and on a 2,000-entry one to show
 * the limits hold (GitHub: output.summary/text ≤65,535 characters; Slack: ≤50 blocks,
 * section text ≤3,000).
 */
import { CHECK_RUN_LIMITS } from "../lib/github/checks-api.js";
import { projectCheckRun } from "../lib/github/check-run.js";
import { buildMessage, LIMITS } from "../lib/slack/build-message.js";
import type { Build } from "../lib/build.js";
import { longHistoryBuild } from "./builders.js";
import { compare, ratio } from "./harness.js";
import { roundsOf, toRow, type Section } from "./report.js";

const ctx = { detailsUrl: "https://flatgate.example.org/v1/repos/stable/apps/org.gnome.TextEditor/builds/gh-184467-1" };
const slackCtx = { statusUrl: ctx.detailsUrl };

function sizes(build: Build) {
  const message = buildMessage(build, slackCtx);
  const check = projectCheckRun(build, ctx);
  const sectionTexts = message.blocks.flatMap((b) => (b.type === "section" ? [b.text?.text.length ?? 0, ...(b.fields ?? []).map((f) => f.text.length)] : []));
  return {
    history: build.history.length,
    slack_bytes: Buffer.byteLength(JSON.stringify(message)),
    slack_blocks: message.blocks.length,
    slack_max_section_chars: Math.max(...sectionTexts),
    check_run_bytes: Buffer.byteLength(JSON.stringify(check)),
    check_summary_chars: check.output.summary.length,
    check_text_chars: check.output.text?.length ?? 0,
  };
}

export async function benchProjections(): Promise<Section> {
  const b200 = longHistoryBuild(200);
  const b2000 = longHistoryBuild(2000);
  const s200 = sizes(b200);
  const s2000 = sizes(b2000);
  for (const s of [s200, s2000]) {
    if (s.slack_blocks > LIMITS.blocks || s.slack_max_section_chars > LIMITS.sectionText) throw new Error(`Slack message over the limits: ${JSON.stringify(s)}`);
    if (s.check_text_chars > CHECK_RUN_LIMITS.outputChars || s.check_summary_chars > CHECK_RUN_LIMITS.outputChars) throw new Error(`check run over the limits: ${JSON.stringify(s)}`);
  }

  const r = await compare(
    {
      slack200: { name: "buildMessage, 200 history", fn: () => buildMessage(b200, slackCtx) },
      check200: { name: "projectCheckRun, 200 history", fn: () => projectCheckRun(b200, ctx) },
      check200json: { name: "projectCheckRun + JSON.stringify, 200", fn: () => JSON.stringify(projectCheckRun(b200, ctx)) },
      slack2000: { name: "buildMessage, 2000 history", fn: () => buildMessage(b2000, slackCtx) },
      check2000: { name: "projectCheckRun, 2000 history", fn: () => projectCheckRun(b2000, ctx) },
    },
    { latency: true },
  );

  const outputOf = (s: typeof s200, kind: "slack" | "check") =>
    kind === "slack"
      ? { memoryBytes: s.slack_bytes, memoryWhat: "JSON out", note: `${s.slack_blocks}/${LIMITS.blocks} blocks, longest section ${s.slack_max_section_chars}/${LIMITS.sectionText} chars` }
      : { memoryBytes: s.check_run_bytes, memoryWhat: "JSON out", note: `output.text ${s.check_text_chars}/${CHECK_RUN_LIMITS.outputChars} chars, summary ${s.check_summary_chars}` };

  return {
    id: "projections",
    title: "5. Slack message and GitHub check run of a build with a long history",
    rows: [
      toRow(r.slack200, outputOf(s200, "slack")),
      toRow(r.check200, outputOf(s200, "check")),
      toRow(r.check200json),
      toRow(r.slack2000, outputOf(s2000, "slack")),
      toRow(r.check2000, outputOf(s2000, "check")),
    ],
    ratios: [
      { name: "check run 2000 / 200 history time", value: ratio(r.check200, r.check2000), meaning: "≈10 if linear; all 2000 lines (≈240 KB) are rendered before the clip to 65,535 chars" },
      { name: "check run / Slack message time, 200", value: ratio(r.slack200, r.check200), meaning: "the check run renders the history; the Slack message does not" },
    ],
    data: { sizes: { history_200: s200, history_2000: s2000 }, rounds: roundsOf(r) },
  };
}
