/** The AppPublisher's pure decisions: intake, policy, quorum, timers, publish progress. */
import { describe, expect, it } from "vitest";
import type { Build } from "../../lib/build.js";
import type { BuildEvent } from "../../lib/build-event.js";
import { BUILD_STATES, canTransition } from "../../lib/build-state.js";
import { RepoPolicy } from "../../lib/config.js";
import { actOnBuild } from "../../lib/publisher/act-on-build.js";
import { applyPublishProgress } from "../../lib/publisher/publish-progress.js";
import { receiveBuild } from "../../lib/publisher/receive-build.js";
import { nextTimer, runDueTimers } from "../../lib/publisher/timers.js";

const t0 = new Date("2026-11-25T10:00:00Z");
const event = (id: string, over: Partial<BuildEvent> = {}): BuildEvent => ({
  repo: "stable",
  app_id: "org.example.App",
  branch: "stable",
  build_id: id,
  status: "success",
  source: { owner: "flathub", name: "org.example.App", sha: "a".repeat(40), ref: "refs/heads/master", triggered_by: "bob" },
  artifact: { url: "https://b/repo", refs: { "app/org.example.App/x86_64/stable": "b".repeat(64) } },
  ...over,
});
const required = RepoPolicy.parse({ approval: "required", prevent_self_approval: true });

function created(existing: Build[], e: BuildEvent, policy = required): { build: Build; superseded: Build[] } {
  const out = receiveBuild(existing, e, policy, t0);
  if (out.kind !== "created") throw new Error(out.kind);
  return out;
}

describe("state machine", () => {
  it("terminal states allow nothing and live is only reached from published", () => {
    for (const s of ["live", "rejected", "superseded", "expired", "cancelled", "build_failed"] as const) {
      expect(BUILD_STATES.filter((to) => canTransition(s, to))).toEqual([]);
    }
    expect(BUILD_STATES.filter((from) => canTransition(from, "live"))).toEqual(["published"]);
  });
});

describe("receiveBuild", () => {
  it("required → awaiting_approval with expiry; auto → approved + enqueue; failure → build_failed", () => {
    const a = created([], event("1")).build;
    expect(a.state).toBe("awaiting_approval");
    expect(Date.parse(a.expires_at!) - t0.getTime()).toBe(168 * 3600_000);
    const auto = receiveBuild([], event("2"), RepoPolicy.parse({ approval: "auto" }), t0);
    expect(auto.kind === "created" && auto.build.state).toBe("approved");
    expect(auto.kind === "created" && auto.effects.map((e) => e.kind)).toContain("enqueue");
    expect(created([], event("3", { status: "failure" })).build.state).toBe("build_failed");
  });

  it("duplicate vs conflict, and supersede of the same branch only", () => {
    const first = created([], event("1")).build;
    expect(receiveBuild([first], event("1"), required, t0).kind).toBe("duplicate");
    expect(receiveBuild([first], event("1", { build_log_url: "https://x/log" }), required, t0).kind).toBe("conflict");
    const beta = created([first], event("b", { branch: "beta", artifact: { url: "https://b", refs: { "app/org.example.App/x86_64/beta": "c".repeat(64) } } })).build;
    const second = created([first, beta], event("2"));
    expect(second.superseded.map((b) => [b.key, b.state, b.superseded_by])).toEqual([["stable/org.example.App/1", "superseded", "stable/org.example.App/2"]]);
  });
});

describe("actOnBuild", () => {
  const build = created([], event("1")).build;
  it("refuses GitHub users without an approver role, self-approval and cancels, recording them", () => {
    const stranger = actOnBuild(build, "approve", { kind: "github", name: "eve" }, required, t0);
    expect(stranger).toMatchObject({ kind: "refused", reason: expect.stringContaining("not a collaborator") });
    const reader = actOnBuild(build, "approve", { kind: "github", name: "rob", role: "read" }, required, t0);
    expect(reader.kind === "refused" && reader.build.history.at(-1)).toMatchObject({ kind: "refused", action: "approve", actor: { name: "rob" } });
    expect(actOnBuild(build, "approve", { kind: "github", name: "Bob", role: "write" }, required, t0).kind).toBe("refused");
    expect(actOnBuild(build, "cancel", { kind: "github", name: "mia", role: "admin" }, required, t0).kind).toBe("refused");
    expect(actOnBuild(build, "approve", { kind: "github", name: "mia", role: "maintain" }, required, t0)).toMatchObject({ kind: "changed", build: { state: "approved" } });
  });

  it("needs approvals_required distinct approvers; the same approver twice counts once", () => {
    const quorum = { ...build, approvals_required: 2 };
    const one = actOnBuild(quorum, "approve", { kind: "github", name: "mia", role: "write" }, required, t0);
    expect(one.kind).toBe("recorded");
    const again = actOnBuild(one.build, "approve", { kind: "github", name: "mia", role: "write" }, required, t0);
    expect(again.kind).toBe("recorded");
    expect(again.build.approvals).toHaveLength(1);
    const two = actOnBuild(again.build, "approve", { kind: "github", name: "ada", role: "admin" }, required, t0);
    expect(two).toMatchObject({ kind: "changed", build: { state: "approved" } });
  });

  it("answers invalid_transition with the current state", () => {
    const rejected = actOnBuild(build, "reject", { kind: "operator", name: "alice" }, required, t0);
    expect(actOnBuild(rejected.build, "approve", { kind: "operator", name: "alice" }, required, t0)).toMatchObject({ kind: "invalid_transition", state: "rejected" });
  });
});

describe("timers", () => {
  it("expires awaiting builds and auto-publishes delayed ones; nextTimer is the earliest", () => {
    const delayed = RepoPolicy.parse({ approval: "delayed", auto_publish_after_hours: 2 });
    const d = created([], event("d"), delayed).build;
    const r = created([], event("r")).build;
    expect(Date.parse(d.expires_at!)).toBeGreaterThan(Date.parse(d.auto_publish_at!));
    expect(nextTimer([d, r])).toBe(t0.getTime() + 2 * 3600_000);
    const later = runDueTimers([d, r], new Date(t0.getTime() + 200 * 3600_000));
    expect(later.changed.map((b) => b.state).sort()).toEqual(["approved", "expired"]);
  });
});

describe("publish progress", () => {
  it("is idempotent and records refs, live summary and retries", () => {
    let b: Build = { ...created([], event("1")).build, state: "queued" };
    b = (applyPublishProgress(b, { kind: "publishing", job_id: "j1" }, t0) as { build: Build }).build;
    expect(applyPublishProgress(b, { kind: "publishing", job_id: "j1" }, t0).kind).toBe("unchanged");
    const retried = applyPublishProgress(b, { kind: "retrying", reason: "gpg-agent", attempt: 1 }, t0);
    expect(retried).toMatchObject({ kind: "changed", build: { state: "queued", publish_attempts: 1 } });
    b = (applyPublishProgress(b, { kind: "published", job_id: "j1", refs: { r: "c".repeat(64) } }, t0) as { build: Build }).build;
    const live = applyPublishProgress(b, { kind: "live", summary_sha256: "d".repeat(64), update_id: "u1" }, t0);
    expect(live).toMatchObject({ kind: "changed", build: { state: "live", published_refs: { r: "c".repeat(64) }, live: { summary_sha256: "d".repeat(64) } } });
  });
});
