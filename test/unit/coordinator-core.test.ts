/** The RepoCoordinator's pure core: queue, batching, coalescing, job outcomes. */
import { describe, expect, it } from "vitest";
import { callFailed, callSucceeded } from "../../lib/coordinator/agent-call.js";
import { applyPublishJob, applyUpdateJob } from "../../lib/coordinator/job-outcome.js";
import { enqueue, nextBatch } from "../../lib/coordinator/queue.js";
import { emptyState, type CoordinatorState, type Timing } from "../../lib/coordinator/state.js";
import { updateDueAt } from "../../lib/coordinator/update-schedule.js";
import type { Job } from "../../lib/repo-master-contract.js";

const timing: Timing = { debounceMs: 30_000, maxWaitMs: 120_000, batchSize: 2, retryBaseMs: 1000, retryMaxMs: 10_000, maxAttempts: 3, pollMs: 5000, alertAfterMs: 600_000 };
const item = (n: number, ref = `app/org.example.A${n}/x86_64/stable`) => ({ build_key: `stable/org.example.A${n}/1`, app_id: `org.example.A${n}`, artifact: { url: "/a", refs: { [ref]: "a".repeat(64) } } });
const base = { repo: "stable", log_tail: [], created_at: "", updated_at: "", runs: 1 };

describe("queue", () => {
  it("enqueue is idempotent; batches respect size, readiness and one build per ref", () => {
    let s = emptyState("stable");
    s = enqueue(s, item(1), 0);
    s = enqueue(s, item(1), 5);
    expect(s.queue).toHaveLength(1);
    s = enqueue(s, item(2, "app/org.example.A1/x86_64/stable"), 0);
    s = enqueue(s, item(3), 0);
    expect(nextBatch(s, 0, 2).map((q) => q.build_key)).toEqual(["stable/org.example.A1/1", "stable/org.example.A3/1"]);
  });
});

describe("coalescing", () => {
  it("waits for a quiet debounce window but never beyond the max wait", () => {
    const s: CoordinatorState = { ...emptyState("stable"), published: [{ build_key: "a", refs: {}, published_at: 0 }] };
    expect(updateDueAt(s, timing)).toBe(30_000);
    const busy = { ...s, published: Array.from({ length: 10 }, (_, i) => ({ build_key: `b${i}`, refs: {}, published_at: i * 20_000 })) };
    expect(updateDueAt(busy, timing)).toBe(120_000);
    expect(updateDueAt(emptyState("stable"), timing)).toBeUndefined();
  });
});

describe("job outcomes", () => {
  const withJob = (): CoordinatorState => {
    const items = [item(1), item(2), item(3)].map((i) => ({ ...i, enqueued_at: 0, attempts: 0, ready_at: 0 }));
    return {
      ...emptyState("stable"),
      publish_job: { job_id: "p1", kind: "publish", phase: "running", request: { job_id: "p1", kind: "publish", repo: "stable", builds: items }, build_keys: items.map((i) => i.build_key), items, created_at: 0, failures: 0, next_check_at: 0 },
    };
  };

  it("one bad build fails alone; transient ones are requeued with backoff", () => {
    const job: Job = {
      ...base, job_id: "p1", kind: "publish", state: "succeeded",
      result: { builds: [
        { build_key: "stable/org.example.A1/1", ok: true, refs: { r: "c".repeat(64) } },
        { build_key: "stable/org.example.A2/1", ok: false, permanent: true, error: "commit mismatch" },
        { build_key: "stable/org.example.A3/1", ok: false, permanent: false, error: "gpg-agent timeout" },
      ] },
    };
    const out = applyPublishJob(withJob(), job, 1000, timing);
    expect(out.reports.map((r) => [r.build_key, r.progress.kind])).toEqual([
      ["stable/org.example.A1/1", "published"],
      ["stable/org.example.A2/1", "failed"],
      ["stable/org.example.A3/1", "retrying"],
    ]);
    expect(out.state.publish_job).toBeUndefined();
    expect(out.state.published.map((p) => p.build_key)).toEqual(["stable/org.example.A1/1"]);
    expect(out.state.queue[0]).toMatchObject({ build_key: "stable/org.example.A3/1", attempts: 1 });
    expect(out.state.queue[0]!.ready_at).toBeGreaterThan(1000);
    // the same job reported again (poll after callback) changes nothing
    expect(applyPublishJob(out.state, job, 2000, timing).state).toBe(out.state);
  });

  it("gives up after maxAttempts", () => {
    const s = withJob();
    s.publish_job!.items = s.publish_job!.items.map((i) => ({ ...i, attempts: 2 }));
    const out = applyPublishJob(s, { ...base, job_id: "p1", kind: "publish", state: "failed", error: "agent crashed" }, 0, timing);
    expect(out.reports.every((r) => r.progress.kind === "failed")).toBe(true);
  });

  it("a failed update keeps the builds published and backs off; success makes them live", () => {
    const s: CoordinatorState = {
      ...emptyState("stable"),
      published: [{ build_key: "k1", refs: {}, published_at: 0 }, { build_key: "k2", refs: {}, published_at: 50 }],
      update_job: { job_id: "u1", kind: "update-repo", phase: "running", request: { job_id: "u1", kind: "update-repo", repo: "stable", options: { changed_refs: [] } }, build_keys: ["k1"], items: [], created_at: 0, failures: 0, next_check_at: 0 },
    };
    const failed = applyUpdateJob(s, { ...base, job_id: "u1", kind: "update-repo", state: "failed", error: "disk full" }, 100, timing);
    expect(failed.state.published).toHaveLength(2);
    expect(failed.state.update_not_before).toBeGreaterThan(100);
    const ok = applyUpdateJob(s, { ...base, job_id: "u1", kind: "update-repo", state: "succeeded", result: { summary_sha256: "e".repeat(64), changed_paths: ["summary"], refs: {}, duration_ms: 1 } }, 100, timing);
    expect(ok.reports).toEqual([{ build_key: "k1", progress: { kind: "live", summary_sha256: "e".repeat(64), update_id: "u1" } }]);
    // k2 landed during the update: it waits for the next one
    expect(ok.state.published.map((p) => p.build_key)).toEqual(["k2"]);
  });
});

describe("calls to the repo master", () => {
  const job = (phase: "submitting" | "running", failures = 0) => ({
    job_id: "j", kind: "update-repo" as const, phase, failures, created_at: 0, next_check_at: 0, build_keys: [], items: [],
    request: { job_id: "j", kind: "update-repo" as const, repo: "stable", options: { changed_refs: [] } },
  });
  const withJob = (phase: "submitting" | "running", failures = 0): CoordinatorState => ({ ...emptyState("stable"), update_job: job(phase, failures) });

  it("backs off, honours Retry-After, and alerts once per outage", () => {
    const t = { ...timing, alertAfterMs: 1000 };
    const first = callFailed(withJob("submitting"), job("submitting"), { message: "503", retryable: true }, 0, t);
    expect(first).toMatchObject({ kind: "retry", state: { agent_down_since: 0, update_job: { failures: 1 } } });
    expect(first.kind === "retry" && first.alert).toBeFalsy();
    const later = callFailed(first.state, job("submitting", 1), { message: "503", retryable: true, retryAfterMs: 60_000 }, 2000, t);
    expect(later.kind === "retry" && later.waitMs).toBe(60_000);
    expect(later.kind === "retry" && later.alert).toContain("unreachable since");
    const again = callFailed(later.state, job("submitting", 2), { message: "503", retryable: true }, 3000, t);
    expect(again.kind === "retry" && again.alert).toBeFalsy();
    const back = callSucceeded(again.state, job("submitting", 3), 4000, t);
    expect(back.state).toMatchObject({ agent_down_alerted: false, update_job: { phase: "running", failures: 0 } });
    expect(back.state.agent_down_since).toBeUndefined();
  });

  it("resubmits a job the agent lost and fails a refused one", () => {
    expect(callFailed(withJob("running"), job("running"), { message: "gone", retryable: false, status: 404 }, 0, timing)).toMatchObject({ kind: "resubmit", state: { update_job: { phase: "submitting" } } });
    const refused = callFailed(withJob("submitting"), job("submitting"), { message: "422 bad", retryable: false, status: 422 }, 0, timing);
    expect(refused).toMatchObject({ kind: "refused", job: { job_id: "j", kind: "update-repo", state: "failed" } });
  });
});
