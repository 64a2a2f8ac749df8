/** Retention of an AppPublisher's builds: bounded history, compact summary records. */
import { describe, expect, it } from "vitest";
import type { Build, HistoryEntry } from "../../lib/build.js";
import { boundHistory, compactBuild, HISTORY_KEPT } from "../../lib/publisher/retention.js";

const entry = (i: number): HistoryEntry => ({ at: new Date(i * 1000).toISOString(), kind: "note", actor: { kind: "system", name: "test" }, reason: `n${i}` });
const build = (n: number): Build => ({
  key: "stable/org.example.A/1", repo: "stable", app_id: "org.example.A", branch: "stable", build_id: "1", state: "superseded", status: "success",
  source: { owner: "o", name: "n", sha: "a".repeat(40), ref: "refs/heads/master", triggered_by: "me" },
  artifact: { url: "https://x/repo", refs: { "app/org.example.A/x86_64/stable": "b".repeat(64) } },
  approval_mode: "required", approvals_required: 1, approvals: [], received_at: "", updated_at: "", publish_attempts: 0,
  reason: "x".repeat(5000), expires_at: "2026-01-01T00:00:00Z",
  history: Array.from({ length: n }, (_, i) => entry(i)),
});

describe("retention", () => {
  it("keeps the last HISTORY_KEPT entries and counts the rest", () => {
    const b = boundHistory(build(HISTORY_KEPT + 30));
    expect(b.history).toHaveLength(HISTORY_KEPT);
    expect(b.history[0]!.reason).toBe("n30");
    expect(b.history_dropped).toBe(30);
    expect(boundHistory(b).history_dropped).toBe(30);
    const small = build(3);
    expect(boundHistory(small)).toBe(small);
  });

  it("a compacted build is a small summary record", () => {
    const c = compactBuild(build(500));
    expect(c.compacted).toBe(true);
    expect(c.history).toHaveLength(5);
    expect(c.history_dropped).toBe(495);
    expect(c.reason).toHaveLength(300);
    expect(c.expires_at).toBeUndefined();
    expect(c.artifact?.refs).toEqual(build(0).artifact?.refs);
    expect(JSON.stringify(c).length).toBeLessThan(3000);
  });
});
