/** The RepoCoordinator's pure core: batching, coalescing, job outcomes, the truth of `live`, outages. */
import { describe, expect, it } from "vitest";
import { agentReachable, callFailed, callSucceeded, outageAlert, outageWakeAt } from "../../lib/coordinator/agent-call.js";
import { applyPublishJob, applyUpdateFailure, applyUpdateSuccess, expectedRefs, verdicts } from "../../lib/coordinator/job-outcome.js";
import { nextBatch, updateBatch } from "../../lib/coordinator/queue.js";
import { emptyMeta, type ActiveJob, type PublishedBuild, type QueuedBuild, type Timing } from "../../lib/coordinator/state.js";
import { updateDueAt } from "../../lib/coordinator/update-schedule.js";
import { refsDigest } from "../../lib/refs-digest.js";
import type { Job } from "../../lib/repo-master-contract.js";

const timing: Timing = { debounceMs: 30_000, maxWaitMs: 120_000, batchSize: 2, retryBaseMs: 1000, retryMaxMs: 10_000, maxAttempts: 3, pollMs: 5000, alertAfterMs: 600_000, probeMs: 10_000 };
const queued = (n: number, ref = `app/org.example.A${n}/x86_64/stable`): QueuedBuild => ({
  build_key: `stable/org.example.A${n}/1`, app_id: `org.example.A${n}`, artifact: { url: "/a", refs: { [ref]: "a".repeat(64) } }, enqueued_at: 0, attempts: 0, ready_at: 0,
});
const base = { repo: "stable", log_tail: [], created_at: "", updated_at: "", runs: 1 };
const c = (ch: string) => ch.repeat(64);
const published = (key: string, seq: number, refs: Record<string, string>): PublishedBuild => ({ build_key: key, app_id: "org.example.A", refs, published_at: seq, seq, update_id: "u1" });

describe("queue", () => {
  it("batches respect size, readiness, claims and one build per ref", () => {
    const items = [queued(1), queued(2, "app/org.example.A1/x86_64/stable"), { ...queued(3), job_id: "p0" }, { ...queued(4), ready_at: 50 }, queued(5)];
    expect(nextBatch(items, 0, 2).map((q) => q.build_key)).toEqual(["stable/org.example.A1/1", "stable/org.example.A5/1"]);
    expect(nextBatch(items, 100, 5).map((q) => q.build_key)).toEqual(["stable/org.example.A1/1", "stable/org.example.A4/1", "stable/org.example.A5/1"]);
  });

  it("an update covers the waiting builds up to the ref cap, and at least one", () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ refs: { [`a${i}`]: c("a"), [`b${i}`]: c("b") } }));
    expect(updateBatch(many, 4)).toHaveLength(2);
    expect(updateBatch(many, 1)).toHaveLength(1);
  });
});

describe("coalescing", () => {
  it("waits for a quiet debounce window but never beyond the max wait", () => {
    const meta = emptyMeta("stable");
    expect(updateDueAt(meta, { count: 1, first: 0, last: 0 }, timing)).toBe(30_000);
    expect(updateDueAt(meta, { count: 10, first: 0, last: 180_000 }, timing)).toBe(120_000);
    expect(updateDueAt({ update_not_before: 500_000 }, { count: 1, first: 0, last: 0 }, timing)).toBe(500_000);
    expect(updateDueAt(meta, { count: 0 }, timing)).toBeUndefined();
  });
});

describe("publish job outcomes", () => {
  const items = [queued(1), queued(2), queued(3)].map((i) => ({ ...i, job_id: "p1" }));

  it("one bad build fails alone; transient ones are requeued with backoff", () => {
    const job: Job = {
      ...base, job_id: "p1", kind: "publish", state: "succeeded",
      result: { builds: [
        { build_key: "stable/org.example.A1/1", ok: true, refs: { r: c("c") } },
        { build_key: "stable/org.example.A2/1", ok: false, permanent: true, error: "commit mismatch" },
        { build_key: "stable/org.example.A3/1", ok: false, permanent: false, error: "gpg-agent timeout" },
      ] },
    };
    const out = applyPublishJob(job, items, 1000, timing);
    expect(out.reports.map((r) => [r.build_key, r.progress.kind])).toEqual([
      ["stable/org.example.A1/1", "published"],
      ["stable/org.example.A2/1", "failed"],
      ["stable/org.example.A3/1", "retrying"],
    ]);
    expect(out.published.map((p) => p.build_key)).toEqual(["stable/org.example.A1/1"]);
    expect(out.dropped).toEqual(["stable/org.example.A2/1"]);
    expect(out.requeue[0]).toMatchObject({ build_key: "stable/org.example.A3/1", attempts: 1 });
    expect(out.requeue[0]!.job_id).toBeUndefined();
    expect(out.requeue[0]!.ready_at).toBeGreaterThan(1000);
  });

  it("gives up after maxAttempts", () => {
    const out = applyPublishJob({ ...base, job_id: "p1", kind: "publish", state: "failed", error: "agent crashed" }, items.map((i) => ({ ...i, attempts: 2 })), 0, timing);
    expect(out.reports.every((r) => r.progress.kind === "failed")).toBe(true);
    expect(out.dropped).toHaveLength(3);
  });
});

describe("update outcomes: live is what the signed summary lists", () => {
  // v1 and v2 of one ref went out in one update (issue 10 #1): the summary lists v2 only
  const v1 = published("stable/org.example.A/v1", 1, { "app/org.example.A/x86_64/stable": c("1") });
  const v2 = published("stable/org.example.A/v2", 2, { "app/org.example.A/x86_64/stable": c("2") });
  const other = published("stable/org.example.B/1", 3, { "app/org.example.B/x86_64/stable": c("3"), "runtime/org.example.B.Locale/x86_64/stable": c("4") });

  it("expects the latest build of each ref", () => {
    expect(expectedRefs([v1, v2, other]).get("app/org.example.A/x86_64/stable")).toMatchObject({ commit: c("2"), build_key: v2.build_key });
  });

  it("the earlier build of a ref ends superseded by the later one; a missing ref is not live", () => {
    const actual = new Map<string, string | null>([["app/org.example.A/x86_64/stable", c("2")], ["app/org.example.B/x86_64/stable", c("3")], ["runtime/org.example.B.Locale/x86_64/stable", null]]);
    const vs = verdicts([v1, v2, other], actual);
    expect(vs[0]).toMatchObject({ outcome: "superseded", superseded_by: v2.build_key });
    expect(vs[1]).toEqual({ build_key: v2.build_key, outcome: "live" });
    expect(vs[2]).toMatchObject({ outcome: "superseded", reason: expect.stringContaining("does not list runtime/org.example.B.Locale") });
    expect((vs[2] as { superseded_by?: string }).superseded_by).toBeUndefined();
  });

  it("reports live and superseded, records counts and clears the failure backoff", () => {
    const actual = new Map([...expectedRefs([v1, v2])].map(([r, e]) => [r, e.commit as string | null]));
    const result = { summary_sha256: c("e"), changed_paths: ["summary"], refs_count: 7280, changed_refs: { count: 1, sha256: c("f") }, duration_ms: 5 };
    const out = applyUpdateSuccess({ ...emptyMeta("stable"), update_failures: 2, update_not_before: 99 }, "u1", [v1, v2], result, actual, 100);
    expect(out.reports.map((r) => r.progress.kind)).toEqual(["superseded", "live"]);
    expect(out.record).toMatchObject({ ok: true, builds: 2, live: 1, superseded: 1, refs_count: 7280, summary_sha256: c("e") });
    expect(out.meta.update_failures).toBe(0);
    expect(out.meta.update_not_before).toBeUndefined();
  });

  it("a failed update backs off and alerts after maxAttempts", () => {
    const first = applyUpdateFailure(emptyMeta("stable"), "u1", 2, "disk full", 100, timing);
    expect(first.meta.update_not_before).toBeGreaterThan(100);
    expect(first.alerts).toEqual([]);
    const third = applyUpdateFailure({ ...emptyMeta("stable"), update_failures: 2 }, "u3", 2, "disk full", 100, timing);
    expect(third.alerts[0]).toContain("failed 3 times");
  });

  it("the refs digest is order-independent and sees every commit", async () => {
    const a = await refsDigest([["b", c("1")], ["a", null]]);
    expect(a).toBe(await refsDigest([["a", null], ["b", c("1")]]));
    expect(a).not.toBe(await refsDigest([["a", null], ["b", c("2")]]));
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("calls to the repo master", () => {
  const job = (phase: ActiveJob["phase"], failures = 0): ActiveJob => ({ job_id: "j", kind: "update-repo", phase, failures, created_at: 0, next_check_at: 0 });

  it("backs off and honours Retry-After; the outage alert fires on its timer, once, and the all-clear gives the length", () => {
    const t = { ...timing, alertAfterMs: 60_000, probeMs: 10_000 };
    const first = callFailed(emptyMeta("stable"), job("submitting"), "stable", { message: "503", retryable: true }, 0, t);
    expect(first).toMatchObject({ kind: "retry", meta: { agent_down_since: 0 }, job: { failures: 1 } });
    const later = callFailed(first.meta, job("submitting", 1), "stable", { message: "503", retryable: true, retryAfterMs: 600_000 }, 2000, t);
    expect(later.kind === "retry" && later.waitMs).toBe(600_000);
    // the next wake-up is the probe, not the job's backoff
    expect(outageWakeAt(later.meta, t)).toBe(10_000);
    expect(outageAlert(later.meta, 59_000, t, "x").alert).toBeUndefined();
    const alerted = outageAlert(later.meta, 60_000, t, "503");
    expect(alerted.alert).toContain("unreachable since 1970-01-01T00:00:00.000Z");
    expect(outageAlert(alerted.meta, 70_000, t, "503").alert).toBeUndefined();
    const back = callSucceeded(alerted.meta, job("submitting", 3), 125_000, t);
    expect(back).toMatchObject({ kind: "ok", job: { phase: "running", failures: 0 } });
    expect(back.kind === "ok" && back.alert).toContain("after an outage of 125 s");
    expect(back.meta.agent_down_since).toBeUndefined();
    expect(agentReachable(emptyMeta("stable"), 0).alert).toBeUndefined();
  });

  it("a refused credential keeps the job (builds wait), alerts once in plain words, and clears with an all-clear", () => {
    const error = { message: "flat-manager rejected FLAT_MANAGER_TOKEN (Token is expired)", retryable: false, status: 401, code: "flat_manager_token" };
    const first = callFailed(emptyMeta("stable"), job("running"), "stable", error, 0, timing);
    expect(first).toMatchObject({ kind: "retry", job: { phase: "running", failures: 1 }, meta: { credential_refused_since: 0 } });
    expect(first.kind === "retry" && first.alert).toContain("FLAT_MANAGER_TOKEN");
    expect(first.meta.agent_down_since).toBeUndefined();
    const again = callFailed(first.meta, job("running", 1), "stable", error, 1000, timing);
    expect(again.kind === "retry" && again.alert).toBeUndefined();
    const fixed = callSucceeded(again.meta, job("running", 2), 30_000, timing);
    expect(fixed.kind === "ok" && fixed.alert).toContain("all clear");
    expect(fixed.meta.credential_refused_since).toBeUndefined();
  });

  it("resubmits a job the agent lost and fails a refused one", () => {
    expect(callFailed(emptyMeta("stable"), job("running"), "stable", { message: "gone", retryable: false, status: 404 }, 0, timing)).toMatchObject({ kind: "resubmit", job: { phase: "submitting" } });
    const refused = callFailed(emptyMeta("stable"), job("submitting"), "stable", { message: "422 bad", retryable: false, status: 422 }, 0, timing);
    expect(refused).toMatchObject({ kind: "refused", result: { job_id: "j", kind: "update-repo", state: "failed" } });
  });
});
