/** The BuildIndex's pure core: the entry projection, transition counting, cursors, merging, exposition. */
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import type { Build, HistoryEntry } from "../../lib/build.js";
import type { BuildState } from "../../lib/build-state.js";
import { decodeCursor, encodeCursor } from "../../lib/build-index/cursor.js";
import { indexEntry, REASON_MAX, TRANSITIONS_CARRIED } from "../../lib/build-index/entry.js";
import { mergePages, type ListedBuild } from "../../lib/build-index/listing.js";
import { emptyHistogram, newTransitions, observe } from "../../lib/build-index/transition-metrics.js";
import { emptyRunTotals, foldPurges, foldRuns } from "../../lib/build-index/update-runs.js";
import { escapeLabelValue, formatMetrics } from "../../lib/metrics/exposition.js";

const t0 = Date.parse("2026-11-25T10:00:00Z");
const at = (s: number) => new Date(t0 + s * 1000).toISOString();
const actor = { kind: "system" as const, name: "t" };

function build(path: [BuildState, number][], over: Partial<Build> = {}): Build {
  const history: HistoryEntry[] = [];
  let from: BuildState | undefined;
  for (const [to, s] of path) {
    history.push({ at: at(s), kind: "transition", ...(from ? { from } : {}), to, actor });
    from = to;
  }
  return {
    key: "stable/org.example.App/1", repo: "stable", app_id: "org.example.App", branch: "stable", build_id: "1", state: from ?? "received",
    status: "success", source: { owner: "o", name: "n", sha: "a".repeat(40), ref: "refs/heads/main", triggered_by: "w" },
    artifact: { url: "https://x.test/r", refs: {} }, approval_mode: "required", approvals_required: 1, approvals: [],
    received_at: at(0), updated_at: at(path[path.length - 1]?.[1] ?? 0), publish_attempts: 0, history, ...over,
  };
}

describe("indexEntry", () => {
  it("numbers transitions and measures approval wait and approval → live", () => {
    const b = build([["received", 0], ["awaiting_approval", 1], ["approved", 600], ["queued", 601], ["publishing", 610], ["published", 650], ["live", 720]]);
    const e = indexEntry(b);
    expect(e.rev).toBe(7);
    expect(e.transitions.map((t) => [t.seq, t.to])).toEqual([[1, "received"], [2, "awaiting_approval"], [3, "approved"], [4, "queued"], [5, "publishing"], [6, "published"], [7, "live"]]);
    expect(e.transitions[2]!.approval_wait_s).toBe(600);
    expect(e.transitions[6]!.approval_to_live_s).toBe(120);
  });

  it("an auto-approved build did not wait for approval; long histories and reasons are bounded", () => {
    const auto = indexEntry(build([["received", 0], ["approved", 0]]));
    expect(auto.transitions[1]!.approval_wait_s).toBeUndefined();
    const path: [BuildState, number][] = [["received", 0], ["approved", 1], ["queued", 2]];
    for (let i = 0; i < 40; i++) path.push(["publishing", 10 + 2 * i], ["queued", 11 + 2 * i]);
    const long = indexEntry(build(path, { reason: "x".repeat(5000) }));
    expect(long.transitions).toHaveLength(TRANSITIONS_CARRIED);
    expect(long.transitions[TRANSITIONS_CARRIED - 1]!.seq).toBe(path.length);
    expect(long.reason!.length).toBe(REASON_MAX);
  });
});

describe("indexEntry after retention dropped history", () => {
  it("keeps positions absolute, so a trimmed history neither recounts nor lowers rev", () => {
    const full = build([["received", 0], ["awaiting_approval", 1], ["approved", 30], ["queued", 31], ["publishing", 40], ["published", 50], ["live", 90]]);
    const trimmed: Build = { ...full, history: full.history.slice(4), history_dropped: 4, live: { summary_sha256: "c".repeat(64), at: at(90), seconds_from_approval: 60 } };
    const a = indexEntry(full);
    const b = indexEntry(trimmed);
    expect(b.rev).toBe(a.rev);
    expect(b.transitions.map((t) => t.seq)).toEqual([5, 6, 7]);
    expect(newTransitions(b, 7).counts).toEqual({});
    // the approval is gone from the kept entries: the live record's own measurement is used
    expect(b.transitions[2]!.approval_to_live_s).toBe(60);
  });
});

describe("newTransitions", () => {
  const e = indexEntry(build([["received", 0], ["awaiting_approval", 1], ["approved", 90]]));
  it("counts only what was not counted, once", () => {
    expect(newTransitions(e, 0)).toEqual({ counts: { received: 1, awaiting_approval: 1, approved: 1 }, observations: [{ name: "approval_wait", seconds: 90 }], counted: 3 });
    expect(newTransitions(e, 2)).toMatchObject({ counts: { approved: 1 }, counted: 3 });
    expect(newTransitions(e, 3)).toEqual({ counts: {}, observations: [], counted: 3 });
    expect(newTransitions(e, 9)).toMatchObject({ counts: {}, counted: 9 });
  });

  it("observe puts a value in the first bucket whose bound holds it", () => {
    let h = emptyHistogram("approval_wait");
    h = observe("approval_wait", h, 60);
    h = observe("approval_wait", h, 61);
    h = observe("approval_wait", h, 10 ** 9);
    expect(h.buckets[0]).toBe(1);
    expect(h.buckets[1]).toBe(1);
    expect(h.buckets[h.buckets.length - 1]).toBe(1);
    expect(h).toMatchObject({ count: 3, sum: 60 + 61 + 10 ** 9 });
  });
});

describe("cursor", () => {
  const f = { repo: "stable", state: "live" };
  it("round-trips and is bound to its filters", () => {
    const c = encodeCursor({ received_at: t0, key: "stable/org.example.App/1" }, f);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c, f)).toEqual({ ok: true, value: { received_at: t0, key: "stable/org.example.App/1" } });
    expect(decodeCursor(c, { repo: "stable" }).ok).toBe(false);
  });
  it("refuses what it did not issue", () => {
    for (const bad of ["", "!!", "abc", btoa("[]"), btoa(JSON.stringify({ v: 2, t: 1, k: "k", f: "00000000" })), "x".repeat(900)]) expect(decodeCursor(bad, f).ok, bad).toBe(false);
  });
});

describe("mergePages", () => {
  const row = (repo: string, s: number, id: string): ListedBuild => ({
    key: `${repo}/org.example.App/${id}`, repo, app_id: "org.example.App", branch: "stable", build_id: id, state: "live",
    received_at: at(s), updated_at: at(s), approvals: { count: 0, required: 1 },
  });
  it("takes the newest `limit` of several repos' pages, ties broken by key", () => {
    const merged = mergePages([{ items: [row("a", 5, "1"), row("a", 3, "2")], more: false }, { items: [row("b", 5, "1"), row("b", 4, "2")], more: false }], 3);
    expect(merged.items.map((b) => b.key)).toEqual(["b/org.example.App/1", "a/org.example.App/1", "b/org.example.App/2"]);
    expect(merged.more).toBe(true);
    expect(mergePages([{ items: [row("a", 1, "1")], more: false }], 3).more).toBe(false);
    expect(mergePages([{ items: [row("a", 1, "1")], more: true }], 3).more).toBe(true);
  });
});

describe("foldRuns", () => {
  it("counts each update run once and times it", () => {
    const runs = [
      { update_id: "u1", ok: true, finished_at: 1, duration_ms: 4000 },
      { update_id: "u2", ok: false, finished_at: 2 },
    ];
    const once = foldRuns(emptyRunTotals(), runs, new Set());
    expect(once).toMatchObject({ ok: 1, failed: 1, duration: { count: 1, sum: 4 } });
    expect(foldRuns(once, runs, new Set(["u1", "u2"]))).toEqual(once);
  });
});

describe("foldPurges", () => {
  it("adds requests by provider, failed ones at least once", () => {
    const t = foldPurges({ fastly: { ok: 1, failed: 0 } }, [
      { update_id: "u1", providers: [{ provider: "fastly", ok: true, requests: 2 }, { provider: "cloudflare", ok: false, requests: 0 }] },
    ]);
    expect(t).toEqual({ fastly: { ok: 3, failed: 0 }, cloudflare: { ok: 0, failed: 1 } });
  });
});

describe("formatMetrics", () => {
  it("escapes label values and HELP, and a Prometheus parser reads it back", () => {
    const text = formatMetrics([
      { name: "t_gauge", help: "a \\ help\nline", type: "gauge", samples: [{ labels: { repo: 'we"ird\\re\npo' }, value: 3 }, { labels: {}, value: 0.5 }] },
      { name: "t_total", help: "c", type: "counter", samples: [{ labels: { state: "live" }, value: 7 }] },
      { name: "t_seconds", help: "h", type: "histogram", buckets: [1, 10], samples: [{ labels: {}, counts: [1, 2, 3], sum: 42.5, count: 6 }] },
    ]);
    expect(text).toContain('t_gauge{repo="we\\"ird\\\\re\\npo"} 3');
    expect(text).toContain("# HELP t_gauge a \\\\ help\\nline");
    expect(text).toContain('t_seconds_bucket{le="1"} 1\nt_seconds_bucket{le="10"} 3\nt_seconds_bucket{le="+Inf"} 6\nt_seconds_sum 42.5\nt_seconds_count 6');
    const parsed = parsePrometheusTextFormat(text);
    expect(parsed.map((f) => [f.name, f.type])).toEqual([["t_gauge", "GAUGE"], ["t_total", "COUNTER"], ["t_seconds", "HISTOGRAM"]]);
    expect(parsed[0]!.metrics.map((m) => m.value)).toEqual(["3", "0.5"]);
    expect(parsed[1]!.metrics[0]).toEqual({ labels: { state: "live" }, value: "7" });
    expect(parsed[2]!.metrics[0]).toEqual({ buckets: { "1": "1", "10": "3", "+Inf": "6" }, sum: "42.5", count: "6" });
    expect(escapeLabelValue("a\\b")).toBe("a\\\\b");
  });

  it("refuses names Prometheus would not accept", () => {
    expect(() => formatMetrics([{ name: "bad-name", help: "", type: "gauge", samples: [] }])).toThrow();
    expect(() => formatMetrics([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { "bad-label": "x" }, value: 1 }] }])).toThrow();
  });
});
