/**
 * The RepoCoordinator in real workerd against a stand-in repo master (test/fixtures/fake-repo-master.ts,
 * real contract and signatures): batching, coalescing, lost callbacks, outages, pause/resume.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { signedHeaders } from "../../lib/standard-webhooks.js";
import { control, controlGet, coordinatorStub, driveAlarms, fakeAgent, json, makeEvent, operator, postBuild, publisherStub, restartObject, saas } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function betaBuild(app: string, buildId?: string) {
  const e = makeEvent({ repo: "beta", app_id: app, branch: "beta", ...(buildId ? { build_id: buildId } : {}) });
  e.artifact.refs = { [`app/${app}/x86_64/beta`]: "e".repeat(64) };
  expect((await postBuild(e)).status).toBe(202);
  return e;
}

async function buildState(e: { repo: string; app_id: string; build_id: string }) {
  return (await json(await operator("GET", `/v1/repos/${e.repo}/apps/${e.app_id}/builds/${e.build_id}`))).build;
}

/** Drives alarms (the clock runs for real; intervals in test-env are tens of milliseconds). */
async function until(check: () => Promise<boolean>, what: string, ms = 15_000) {
  await driveAlarms(coordinatorStub("beta"), check, what, ms);
}

async function agentJobs(): Promise<{ jobs: any[]; requests: any[]; log: any[] }> {
  return controlGet(fakeAgent(), "jobs");
}

beforeEach(async () => {
  await control(fakeAgent(), "reset");
});

describe("RepoCoordinator", () => {
  it("publishes a burst of approvals in batches and coalesces the summary regeneration", async () => {
    // the burst arrives while the repo is paused, so batching does not depend on machine speed
    await operator("POST", "/v1/repos/beta/pause", { reason: "collect a burst" });
    const builds: ReturnType<typeof makeEvent>[] = [];
    for (let i = 0; i < 12; i++) builds.push(await betaBuild(`org.example.Burst${i}`));
    await operator("POST", "/v1/repos/beta/resume");
    await until(async () => (await Promise.all(builds.map(buildState))).every((b) => b.state === "live"), "12 builds live");
    const { requests } = await agentJobs();
    // other test files share the stand-in agent: look at this burst's jobs only
    const burst = (s: string) => s.includes("org.example.Burst");
    const publishes = requests.filter((r) => r.kind === "publish" && r.builds.some((b: any) => burst(b.app_id)));
    const updates = requests.filter((r) => r.kind === "update-repo" && r.options.changed_refs.some(burst));
    // batch size 5 → exactly 3 publish jobs: 5, 5, 2
    expect(publishes.map((p) => p.builds.length)).toEqual([5, 5, 2]);
    expect(publishes.flatMap((p) => p.builds.map((b: any) => b.build_key)).sort()).toEqual(builds.map((b) => `beta/${b.app_id}/${b.build_id}`).sort());
    // 12 publishes → at most one regeneration per publish job, not one per build
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThanOrEqual(3);
    expect(updates.flatMap((u) => u.options.changed_refs.filter(burst)).sort()).toEqual(builds.map((b) => `app/${b.app_id}/x86_64/beta`).sort());
    const b = await buildState(builds[0]!);
    expect(b.live.summary_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(b.published_refs)).toEqual([`app/${builds[0]!.app_id}/x86_64/beta`]);
    const view = await json(await operator("GET", "/v1/repos/beta"));
    expect(view.queue).toEqual([]);
    expect(view.recent_updates[0]).toMatchObject({ ok: true });
  });

  it("recovers a lost callback by polling (the agent's callback goes nowhere in these tests)", async () => {
    await control(fakeAgent(), "mode", { hold: true });
    const e = await betaBuild("org.example.Poll");
    await until(async () => (await agentJobs()).jobs.some((j) => j.kind === "publish"), "a publish job");
    expect((await buildState(e)).state).toBe("publishing");
    await control(fakeAgent(), "mode", { hold: false });
    await until(async () => (await buildState(e)).state === "live", "live after polling");
    const gets = (await agentJobs()).log.filter((l) => l.method === "GET");
    expect(gets.length).toBeGreaterThan(1);
  });

  it("accepts a signed callback and refuses an unsigned one", async () => {
    await control(fakeAgent(), "mode", { hold: true });
    const e = await betaBuild("org.example.Callback");
    await until(async () => (await agentJobs()).jobs.some((j) => j.kind === "publish" && j.state === "running"), "a running job");
    const job = (await agentJobs()).jobs.find((j) => j.kind === "publish");
    const done = await control(fakeAgent(), `complete/${job.job_id}`);
    const body = JSON.stringify(done);
    const { SELF } = await import("cloudflare:test");
    const bad = await SELF.fetch("https://flatgate.test/v1/repo-master/events", { method: "POST", body });
    expect(bad.status).toBe(401);
    const forged = await SELF.fetch("https://flatgate.test/v1/repo-master/events", { method: "POST", body, headers: { ...(await signedHeaders(TEST_SECRETS.build, body)) } });
    expect(forged.status).toBe(401);
    const ok = await SELF.fetch("https://flatgate.test/v1/repo-master/events", { method: "POST", body, headers: { ...(await signedHeaders(TEST_SECRETS.repoMaster, body)) } });
    expect(ok.status).toBe(200);
    // the callback alone finished the job at the coordinator, before any further poll
    const view = await json(await operator("GET", "/v1/repos/beta"));
    expect(view.running.filter((j: any) => j.kind === "publish")).toEqual([]);
    expect(view.waiting_for_summary.map((w: any) => w.build_key)).toContain(`beta/${e.app_id}/${e.build_id}`);
    await control(fakeAgent(), "mode", { hold: false });
    await until(async () => (await buildState(e)).state === "live", "live");
  });

  it("keeps retrying while the agent is down, alerts, and publishes when it is back", async () => {
    await control(fakeAgent(), "mode", { down: true });
    const e = await betaBuild("org.example.Outage");
    await until(async () => (await agentJobs()).log.length >= 3, "several failed submits");
    const view = await json(await operator("GET", "/v1/repos/beta"));
    expect(view.repo_master.reachable).toBe(false);
    expect(view.running[0]).toMatchObject({ kind: "publish", phase: "submitting" });
    expect(view.running[0].failures).toBeGreaterThanOrEqual(2);
    await control(fakeAgent(), "mode", { down: false });
    await until(async () => (await buildState(e)).state === "live", "live after the outage");
    expect((await json(await operator("GET", "/v1/repos/beta"))).repo_master.reachable).toBe(true);
  });

  it("fails a build with a permanent error at once, retries a transient one, and an operator can retry the failed one", async () => {
    const bad = await betaBuild("org.example.Tampered");
    const flaky = await betaBuild("org.example.Flaky");
    const good = await betaBuild("org.example.Good");
    await control(fakeAgent(), "mode", { fail: { [`beta/${bad.app_id}/${bad.build_id}`]: "permanent", [`beta/${flaky.app_id}/${flaky.build_id}`]: "transient" } });
    await until(async () => (await buildState(good)).state === "live" && (await buildState(flaky)).state === "live", "good and flaky live");
    const b = await buildState(bad);
    expect(b.state).toBe("failed");
    expect(b.reason).toContain("integrity");
    const f = await buildState(flaky);
    expect(f.history.some((h: any) => h.from === "publishing" && h.to === "queued")).toBe(true);
    // an operator retries the failed build
    const retried = await operator("POST", `/v1/repos/beta/apps/${bad.app_id}/builds/${bad.build_id}/retry`);
    expect(retried.status).toBe(200);
    await until(async () => (await buildState(bad)).state === "live", "retried build live");
  });

  it("a restart of the Durable Objects mid-publish neither loses nor doubles the publish", async () => {
    await control(fakeAgent(), "mode", { hold: true });
    const e = await betaBuild("org.example.Restart");
    const key = `beta/${e.app_id}/${e.build_id}`;
    const mine = async () => (await agentJobs()).requests.filter((r) => r.kind === "publish" && r.builds.some((b: any) => b.build_key === key));
    await until(async () => (await mine()).length === 1, "the publish job at the agent");
    // both objects of this publish, mid-job (not every object in the isolate: see restartObject)
    await restartObject(coordinatorStub("beta"));
    await restartObject(publisherStub("beta", e.app_id));
    // a duplicate delivery of the same event after the restart changes nothing either
    expect((await postBuild(e)).status).toBe(200);
    await control(fakeAgent(), "mode", { hold: false });
    await until(async () => (await buildState(e)).state === "live", "live after the restart");
    const jobs = await mine();
    expect(jobs).toHaveLength(1);
    const b = await buildState(e);
    expect(b.history.filter((h: any) => h.to === "publishing")).toHaveLength(1);
    expect(b.history.filter((h: any) => h.to === "live")).toHaveLength(1);
  });

  it("pause stops new publishing; resume restarts it", async () => {
    const paused = await json(await operator("POST", "/v1/repos/beta/pause", { reason: "disk swap" }));
    expect(paused).toMatchObject({ paused: true, paused_reason: "disk swap" });
    const e = await betaBuild("org.example.Paused");
    await sleep(300);
    await runDurableObjectAlarm(coordinatorStub("beta"));
    expect((await buildState(e)).state).toBe("queued");
    const mine = (await agentJobs()).requests.filter((r) => r.kind === "publish" && r.builds.some((b: any) => b.app_id === e.app_id));
    expect(mine).toEqual([]);
    const view = await json(await operator("GET", "/v1/repos/beta"));
    expect(view.queue.map((q: any) => q.build_key)).toContain(`beta/${e.app_id}/${e.build_id}`);
    expect((await json(await operator("POST", "/v1/repos/beta/resume"))).paused).toBe(false);
    await until(async () => (await buildState(e)).state === "live", "live after resume");
  });

  it("a build superseded while queued is dropped from the queue", async () => {
    await operator("POST", "/v1/repos/beta/pause");
    const app = "org.example.Replaced";
    const first = await betaBuild(app, "1");
    const second = await betaBuild(app, "2");
    expect((await buildState(first)).state).toBe("superseded");
    await operator("POST", "/v1/repos/beta/resume");
    await until(async () => (await buildState(second)).state === "live", "second live");
    const keys = (await agentJobs()).requests.filter((r) => r.kind === "publish").flatMap((r) => r.builds.map((b: any) => b.build_key)).filter((k: string) => k.includes(app));
    expect(keys).toEqual([`beta/${app}/2`]);
  });

  it("repo endpoints need a token and a known repo", async () => {
    const { SELF } = await import("cloudflare:test");
    expect((await SELF.fetch("https://flatgate.test/v1/repos/beta")).status).toBe(401);
    expect((await operator("GET", "/v1/repos/nightly")).status).toBe(404);
    const stable = await json(await operator("GET", "/v1/repos/stable"));
    expect(stable).toMatchObject({ repo: "stable", public_url: `${saas()}/edge/stable`, gpg_key_url: `${saas()}/edge/stable/key.gpg`, paused: false });
  });
});
