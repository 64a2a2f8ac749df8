import { describe, expect, it } from "vitest";
import type { Build } from "../../lib/build.js";
import { makeBuild } from "../fixtures/slack-build.js";
import { LIMITS, alertMessage, buildMessage, checkRunUrl, stateLine, threadReply, type SlackBlock, type SlackMessage } from "../../lib/slack/build-message.js";
import { escapeText, link, splitText, truncate } from "../../lib/slack/mrkdwn.js";


/** Every text in a message, for limit checks. */
function texts(m: SlackMessage): { kind: string; text: string }[] {
  return m.blocks.flatMap((b: SlackBlock) => {
    if (b.type === "header") return [{ kind: "header", text: b.text.text }];
    if (b.type === "section") return [...(b.text ? [{ kind: "section", text: b.text.text }] : []), ...(b.fields ?? []).map((f) => ({ kind: "field", text: f.text }))];
    if (b.type === "context") return b.elements.map((e) => ({ kind: "context", text: e.text }));
    return [];
  });
}

function assertLimits(m: SlackMessage) {
  expect(m.text.length).toBeGreaterThan(0);
  expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const t of texts(m)) {
    const max = t.kind === "header" ? LIMITS.header : t.kind === "field" ? LIMITS.fieldText : LIMITS.sectionText;
    expect(t.text.length, t.kind).toBeLessThanOrEqual(max);
    // no half links: every `<` that opens a link is closed
    expect((t.text.match(/</g) ?? []).length, t.text.slice(-80)).toBe((t.text.match(/>/g) ?? []).length);
  }
}

describe("buildMessage", () => {
  it("shows app, repo, branch, commit, who triggered and links", () => {
    const m = buildMessage(makeBuild(), { statusUrl: "https://pipeline.example.org/v1/builds/stable/org.example.App/b-1" });
    assertLimits(m);
    expect(m.text).toBe("org.example.App (stable) → stable: awaiting approval");
    expect(m.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: ":hourglass_flowing_sand: org.example.App (stable) → stable", emoji: true } });
    const all = texts(m).map((t) => t.text).join("\n");
    expect(all).toContain("*Awaiting approval*");
    expect(all).toContain("*Commit*\n<https://github.com/flathub/org.example.App/commit/0123456789abcdef0123456789abcdef01234567|0123456> on master");
    expect(all).toContain("*Triggered by*\noctocat");
    expect(all).toContain("*Approved by*\n—");
    expect(all).toContain("<https://github.com/flathub/org.example.App/runs/987654|GitHub check run>");
    expect(all).toContain("<https://builds.example.org/b-1/log?x=1&amp;y=2|Build log>");
    expect(all).toContain("<https://pipeline.example.org/v1/builds/stable/org.example.App/b-1|Status page>");
    expect(all).toContain("`app/org.example.App/x86_64/stable` aaaaaaaaaaaa");
  });

  it("omits links that are not known", () => {
    const all = texts(buildMessage(makeBuild({ github: undefined, build_log_url: undefined }))).map((t) => t.text).join("\n");
    expect(all).not.toContain("GitHub check run");
    expect(all).not.toContain("Build log");
    expect(checkRunUrl(makeBuild(), "https://ghe.example.com/")).toBe("https://ghe.example.com/flathub/org.example.App/runs/987654");
  });

  it("writes the state line of every state", () => {
    const approvals = [{ by: "alice", actor_kind: "github" as const, at: "2026-11-25T10:01:00Z" }];
    expect(stateLine(makeBuild({ state: "awaiting_approval", approvals_required: 2, approvals }))).toBe("awaiting approval (1 of 2 approvals)");
    expect(stateLine(makeBuild({ state: "approved", approvals }))).toBe("approved by alice");
    expect(stateLine(makeBuild({ state: "queued", approvals }))).toBe("approved by alice, queued for publishing");
    expect(stateLine(makeBuild({ state: "approved", approval_mode: "auto" }))).toBe("auto-approved");
    expect(stateLine(makeBuild({ state: "live", approvals, live: { summary_sha256: "f".repeat(64), at: "x", seconds_from_approval: 41.6 } }))).toBe("live in 42 s");
    expect(stateLine(makeBuild({ state: "failed", reason: "gpg-agent not responding" }))).toBe("failed: gpg-agent not responding");
    expect(stateLine(makeBuild({ state: "build_failed" }))).toBe("build failed");
    expect(stateLine(makeBuild({ state: "superseded", superseded_by: "b-2" }))).toBe("superseded by build b-2");
    expect(
      stateLine(
        makeBuild({
          state: "rejected",
          reason: "breaks the sandbox",
          history: [{ at: "t", kind: "transition", from: "awaiting_approval", to: "rejected", actor: { kind: "github", name: "bob" } }],
        }),
      ),
    ).toBe("rejected by bob: breaks the sandbox");
  });

  it("escapes user-supplied text", () => {
    const m = buildMessage(makeBuild({ state: "failed", reason: "<!channel> & <https://evil.example|click>" }));
    expect(m.text).toBe("org.example.App (stable) → stable: failed: &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;");
    expect(texts(m).map((t) => t.text).join("\n")).toContain("*Failed: &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;*");
    expect(escapeText("a<b>&c")).toBe("a&lt;b&gt;&amp;c");
    expect(link("javascript:alert(1)", "x")).toBe("x");
    expect(link("https://x.example/a|b>c", "l|a>b")).toBe("<https://x.example/a%7Cb%3Ec|l a b>");
  });

  it("stays within the limits for huge builds and truncates with …", () => {
    const refs = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`runtime/org.example.App.Ext${i}/x86_64/stable`, "b".repeat(64)]));
    const m = buildMessage(makeBuild({ app_id: `org.example.${"A".repeat(240)}`, artifact: { url: "/r", refs }, reason: "x".repeat(5000), state: "failed" }));
    assertLimits(m);
    const header = m.blocks[0];
    expect(header?.type === "header" && header.text.text.endsWith("…")).toBe(true);
    const sections = texts(m).filter((t) => t.kind === "section");
    expect(sections.some((s) => s.text.length === LIMITS.sectionText || s.text.endsWith("…"))).toBe(true);
  });
});

describe("alertMessage / threadReply", () => {
  it("splits long alerts into sections and stops at 50 blocks", () => {
    const line = `purge failed, see <https://status.example.org/x|status> & retry ${"z".repeat(200)}\n`;
    const m = alertMessage("stable", line.repeat(2000));
    assertLimits(m);
    expect(m.blocks).toHaveLength(LIMITS.blocks);
    expect(m.blocks[0]).toMatchObject({ type: "header", text: { text: ":rotating_light: stable: alert" } });
    const last = m.blocks[LIMITS.blocks - 1];
    expect(last?.type === "context" && last.elements[0]?.text).toMatch(/^… \d+ more block\(s\) not shown$/);
    expect(m.text.length).toBeLessThanOrEqual(LIMITS.text);
  });

  it("escapes alert and reply text", () => {
    expect(alertMessage("beta", "a <b> & c").blocks[1]).toEqual({ type: "section", text: { type: "mrkdwn", text: "a &lt;b&gt; &amp; c" } });
    expect(threadReply("approval refused: <user> is not a maintainer")).toEqual({
      text: "approval refused: &lt;user&gt; is not a maintainer",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "approval refused: &lt;user&gt; is not a maintainer" } }],
    });
  });
});

describe("mrkdwn cuts", () => {
  it("never cuts inside a link or an entity", () => {
    const s = `${"a".repeat(90)} <https://example.org/very/long/path|label> tail`;
    for (let max = 92; max < s.length; max++) {
      const t = truncate(s, max);
      expect(t.length).toBeLessThanOrEqual(max);
      expect(t.endsWith("…")).toBe(true);
      const inner = t.slice(0, -1);
      expect(inner.lastIndexOf("<") <= inner.lastIndexOf(">"), t).toBe(true);
    }
    expect(truncate("x".repeat(10) + "&amp;y", 13)).toBe(`${"x".repeat(10)}…`);
    expect(truncate("short", 10)).toBe("short");
  });

  it("does not split a surrogate pair", () => {
    const t = truncate(`${"a".repeat(8)}😀😀`, 10);
    expect(t).toBe(`${"a".repeat(8)}…`);
  });

  it("splits at line breaks", () => {
    const parts = splitText(`${"a".repeat(50)}\n${"b".repeat(50)}\n${"c".repeat(50)}`, 110);
    expect(parts).toEqual([`${"a".repeat(50)}\n${"b".repeat(50)}`, "c".repeat(50)]);
  });
});
