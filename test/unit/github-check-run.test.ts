import { describe, expect, it } from "vitest";
import type { Build, HistoryEntry } from "../../lib/build.js";
import { BUILD_STATES, type BuildState } from "../../lib/build-state.js";
import { checkRunName, lastRefusal, projectCheckRun } from "../../lib/github/check-run.js";
import { CHECK_RUN_LIMITS } from "../../lib/github/checks-api.js";
import { COMMIT, SHA, sampleBuild } from "../fixtures/github-app.js";

const DETAILS = "https://flatgate.example/v1/builds/stable/org.example.App/build-42";

/** The build after moving through `path` (each step one history transition, a minute apart). */
function movedTo(path: BuildState[], overrides: Partial<Build> = {}, actors: Partial<Record<BuildState, HistoryEntry["actor"]>> = {}): Build {
  const base = sampleBuild();
  const history = [...base.history];
  let from: BuildState = "awaiting_approval";
  let t = Date.parse("2026-11-25T11:00:00Z");
  for (const to of path) {
    history.push({ at: new Date(t).toISOString(), kind: "transition", from, to, actor: actors[to] ?? { kind: "system", name: "coordinator" } });
    from = to;
    t += 60_000;
  }
  return { ...base, state: from, history, updated_at: history.at(-1)!.at, ...overrides };
}

const bob = { kind: "github", name: "bob", role: "maintain" } as const;

describe("check run projection", () => {
  it("names the run after the repo and pins it to the source commit and build key", () => {
    const body = projectCheckRun(sampleBuild(), { detailsUrl: DETAILS });
    expect(body.name).toBe("Publish to stable");
    expect(checkRunName("beta")).toBe("Publish to beta");
    expect(body.head_sha).toBe(SHA);
    expect(body.external_id).toBe("stable/org.example.App/build-42");
    expect(body.details_url).toBe(DETAILS);
    expect(body.started_at).toBe("2026-11-25T10:00:00.000Z");
  });

  it("awaiting_approval: completed + action_required with Publish and Reject buttons", () => {
    const body = projectCheckRun(sampleBuild(), { detailsUrl: DETAILS });
    expect(body.status).toBe("completed");
    expect(body.conclusion).toBe("action_required");
    expect(body.completed_at).toBe("2026-11-25T10:00:01.000Z");
    expect(body.actions).toEqual([
      { label: "Publish", identifier: "publish", description: "Approve and publish to stable" },
      { label: "Reject", identifier: "reject", description: "Reject this build; it is not published" },
    ]);
    expect(body.output.title).toBe("Waiting for approval (0/1)");
    const s = body.output.summary;
    expect(s).toContain("`org.example.App`, branch `stable`, build `build-42`");
    expect(s).toContain(`\`example/org.example.App\` at \`${SHA}\` (\`refs/heads/master\`)`);
    expect(s).toContain("Triggered by: @alice");
    expect(s).toContain("[link](https://builds.example.org/logs/42)");
    expect(s).toContain(`| \`app/org.example.App/x86_64/stable\` | \`${COMMIT}\` |`);
    expect(s).toContain(`(${DETAILS})`);
    expect(s).toContain("Expires at 2026-12-02 10:00 UTC");
  });

  it("received (approval required) shows the same buttons; received on an auto repo is queued without any", () => {
    const received = sampleBuild({ state: "received" });
    expect(projectCheckRun(received)).toMatchObject({ status: "completed", conclusion: "action_required" });
    expect(projectCheckRun(received).actions.map((a) => a.identifier)).toEqual(["publish", "reject"]);
    const auto = projectCheckRun(sampleBuild({ state: "received", approval_mode: "auto" }));
    expect(auto.status).toBe("queued");
    expect(auto.conclusion).toBeUndefined();
    expect(auto.actions).toEqual([]);
  });

  it("shows approvals so far with several approvers required, and stays actionable", () => {
    const body = projectCheckRun(
      sampleBuild({ approvals_required: 2, approvals: [{ by: "bob", actor_kind: "github", at: "2026-11-25T10:30:00Z" }] }),
    );
    expect(body.conclusion).toBe("action_required");
    expect(body.output.title).toBe("Waiting for approval (1/2)");
    expect(body.output.summary).toContain("Approvals: 1/2 (@bob).");
    expect(body.actions[0]).toEqual({ label: "Publish", identifier: "publish", description: "Add your approval (1/2 so far)" });
  });

  it("delayed repos show when the build publishes by itself and offer Publish now", () => {
    const body = projectCheckRun(sampleBuild({ approval_mode: "delayed", auto_publish_at: "2026-11-26T10:00:00.000Z" }));
    expect(body.conclusion).toBe("action_required");
    expect(body.output.title).toBe("Publishes at 2026-11-26 10:00 UTC unless rejected");
    expect(body.output.summary).toContain("Publishes by itself at 2026-11-26 10:00 UTC unless rejected. **Publish now** skips the wait.");
    expect(body.actions[0]).toEqual({ label: "Publish now", identifier: "publish", description: "Publish without waiting" });
  });

  it.each([
    ["approved", ["approved"], "Approved; waiting for the publish queue"],
    ["queued", ["approved", "queued"], "Queued for publishing"],
    ["publishing", ["approved", "queued", "publishing"], "Publishing: importing and signing the commits"],
    ["published", ["approved", "queued", "publishing", "published"], "Published; waiting for the summary update and CDN purge"],
  ] as const)("%s: in_progress, no conclusion, buttons cleared", (_state, path, title) => {
    const build = movedTo([...path], { approvals: [{ by: "bob", actor_kind: "github", at: "2026-11-25T11:00:00Z" }] }, { approved: bob });
    const body = projectCheckRun(build);
    expect(body.status).toBe("in_progress");
    expect(body).not.toHaveProperty("conclusion");
    expect(body).not.toHaveProperty("completed_at");
    expect(body.actions).toEqual([]);
    expect(body.output.title).toBe(title);
    expect(body.output.summary).toContain("Approved by @bob (1/1).");
  });

  it("auto-approved builds get the same check run without buttons", () => {
    const build = movedTo(["approved", "queued"], { approval_mode: "auto" });
    const body = projectCheckRun(build);
    expect(body).toMatchObject({ name: "Publish to stable", status: "in_progress", actions: [] });
    expect(body.output.summary).toContain("Approved automatically: this repo publishes without approval.");
  });

  it("live: completed success with the summary checksum and time", () => {
    const live = { summary_sha256: "b".repeat(64), at: "2026-11-25T11:05:30.000Z", seconds_from_approval: 270 };
    const body = projectCheckRun(movedTo(["approved", "queued", "publishing", "published", "live"], { live }));
    expect(body.status).toBe("completed");
    expect(body.conclusion).toBe("success");
    expect(body.completed_at).toBe("2026-11-25T11:05:30.000Z");
    expect(body.output.title).toBe("Live in stable");
    expect(body.output.summary).toContain(`Live since 2026-11-25 11:05 UTC (270 s after approval): summary \`${"b".repeat(64)}\`.`);
    expect(body.actions).toEqual([]);
  });

  it("failed: failure with the reason and a Retry button", () => {
    const body = projectCheckRun(
      movedTo(["approved", "queued", "publishing", "failed"], { reason: "repo master: gpg: signing failed: No secret key", publish_attempts: 3 }),
    );
    expect(body.status).toBe("completed");
    expect(body.conclusion).toBe("failure");
    expect(body.completed_at).toBe("2026-11-25T11:03:00.000Z");
    expect(body.output.title).toBe("Publish failed");
    expect(body.output.summary).toContain("Reason: repo master: gpg: signing failed: No secret key");
    expect(body.output.summary).toContain("After 3 attempts.");
    expect(body.actions).toEqual([{ label: "Retry", identifier: "retry", description: "Queue this publish again" }]);
  });

  it("rejected: cancelled, naming who and why", () => {
    const build = movedTo(["rejected"], {}, { rejected: bob });
    build.history.at(-1)!.reason = "wrong icon\nin the appdata";
    const body = projectCheckRun(build);
    expect(body).toMatchObject({ status: "completed", conclusion: "cancelled", actions: [] });
    expect(body.output.title).toBe("Rejected by @bob");
    expect(body.output.summary).toContain("Rejected by @bob: wrong icon in the appdata");
  });

  it("superseded: neutral, pointing at the newer build", () => {
    const newer = "stable/org.example.App/build-43";
    const body = projectCheckRun(movedTo(["superseded"], { superseded_by: newer }), { newerBuildUrl: "https://flatgate.example/b/43" });
    expect(body).toMatchObject({ status: "completed", conclusion: "neutral", actions: [] });
    expect(body.output.title).toBe(`Superseded by ${newer}`);
    expect(body.output.summary).toContain(`replaced this one: [\`${newer}\`](https://flatgate.example/b/43).`);
  });

  it("expired: timed_out", () => {
    const body = projectCheckRun(movedTo(["expired"]));
    expect(body).toMatchObject({ status: "completed", conclusion: "timed_out", actions: [] });
    expect(body.output.title).toBe("Expired without approval");
    expect(body.output.summary).toContain("Nobody approved this build by 2026-12-02 10:00 UTC");
  });

  it("build_failed: failure linking the build log", () => {
    const base = sampleBuild({ status: "failure", state: "build_failed" });
    const body = projectCheckRun(base);
    expect(body).toMatchObject({ status: "completed", conclusion: "failure", actions: [] });
    expect(body.output.title).toBe("Build failed");
    expect(body.output.summary).toContain("See the [build log](https://builds.example.org/logs/42).");
  });

  it("cancelled: cancelled, naming the operator", () => {
    const build = movedTo(["cancelled"], { reason: "duplicate upload" }, { cancelled: { kind: "operator", name: "ops-jane" } });
    const body = projectCheckRun(build);
    expect(body).toMatchObject({ status: "completed", conclusion: "cancelled", actions: [] });
    expect(body.output.title).toBe("Cancelled by ops-jane (operator)");
    expect(body.output.summary).toContain("Cancelled by ops-jane (operator): duplicate upload");
  });

  it("covers every build state with a valid status/conclusion pair and at most 3 valid actions", () => {
    for (const state of BUILD_STATES) {
      const body = projectCheckRun(sampleBuild({ state }));
      if (body.status === "completed") {
        expect(body.conclusion, state).toBeDefined();
        expect(body.completed_at, state).toBeDefined();
      } else {
        expect(body.conclusion, state).toBeUndefined();
      }
      expect(body.actions.length, state).toBeLessThanOrEqual(CHECK_RUN_LIMITS.actions);
      for (const a of body.actions) {
        expect(a.label.length).toBeLessThanOrEqual(20);
        expect(a.description.length).toBeLessThanOrEqual(40);
        expect(a.identifier.length).toBeLessThanOrEqual(20);
      }
    }
  });

  it("reflects a refused click until the build changes state", () => {
    const build = sampleBuild();
    build.history.push({
      at: "2026-11-25T10:05:00.000Z",
      kind: "refused",
      action: "approve",
      actor: { kind: "github", name: "bob", role: "read" },
      reason: "role read is not in admin, maintain, write",
    });
    const body = projectCheckRun(build);
    expect(body.output.summary).toContain("> @bob's approval was refused: role read is not in admin, maintain, write");
    expect(body.conclusion).toBe("action_required");
    expect(body.output.text).toContain("refused approve by @bob: role read is not in admin, maintain, write");

    build.history.push({ at: "2026-11-25T10:06:00.000Z", kind: "transition", from: "awaiting_approval", to: "approved", actor: bob });
    build.state = "approved";
    expect(lastRefusal(build)).toBeUndefined();
    expect(projectCheckRun(build).output.summary).not.toContain("refused");
  });

  it("shows a refused self-approval", () => {
    const build = sampleBuild();
    build.history.push({ at: "2026-11-25T10:05:00.000Z", kind: "refused", action: "approve", actor: { kind: "github", name: "alice" }, reason: "alice triggered this build and may not approve it" });
    expect(projectCheckRun(build).output.summary).toContain("> @alice's approval was refused: alice triggered this build and may not approve it");
  });

  it("keeps the summary within GitHub's 65535 characters", () => {
    const refs: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) refs[`runtime/org.example.App.Ext${i}/x86_64/stable`] = COMMIT;
    const body = projectCheckRun(sampleBuild({ artifact: { url: "https://x.example/repo", refs } }));
    expect(body.output.summary.length).toBeLessThanOrEqual(65_535);
    expect(body.output.summary.endsWith("…")).toBe(true);
  });
});
