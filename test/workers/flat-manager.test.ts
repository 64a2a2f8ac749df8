/**
 * A repo whose backend is flat-manager (issue 12), in real workerd against the stand-in
 * flat-manager (test/fixtures/fake-flat-manager.ts: the reference's API, real OSTree repo,
 * real GPG-signed summary): intake and pre-publish refusals, publish → publish job →
 * update-repo job → signed summary → live → purge, wrong-published-state, the token alert,
 * and the job reads that are GETs with a JSON body.
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { publishService } from "../../durable/services.js";
import { control, coordinatorStub, driveAlarms, json, makeEvent, operator, postBuild, publisherStub, saas } from "./helpers.js";

const REPO = "flat-manager";
const fm = () => (env as unknown as { FAKE_FLAT_MANAGER_URL: string }).FAKE_FLAT_MANAGER_URL;
let n = 0;

interface FmBuild {
  id: number;
  url: string;
  refs: Record<string, string>;
}

async function fmBuild(appId: string, extra: Record<string, unknown> = {}): Promise<FmBuild> {
  return control(fm(), "build", { app_id: appId, ...extra });
}

function eventFor(appId: string, b: FmBuild) {
  return makeEvent({ repo: REPO, app_id: appId, branch: "stable", build_id: `fm${++n}-${Date.now()}`, artifact: { url: b.url, refs: b.refs } });
}

async function buildState(e: { repo: string; app_id: string; build_id: string }) {
  return (await json(await operator("GET", `/v1/repos/${e.repo}/apps/${e.app_id}/builds/${e.build_id}`))).build;
}

async function fmState(): Promise<{ builds: any[]; jobs: any[]; requests: any[] }> {
  return control(fm(), "state");
}

const until = <T>(check: () => Promise<T | undefined | false>, what: string, ms = 25_000) => driveAlarms(coordinatorStub(REPO), check, what, ms);

beforeEach(async () => {
  await control(fm(), "reset");
  await operator("POST", `/v1/repos/${REPO}/resume`);
});

describe("flat-manager backend", () => {
  it("publishes through flat-manager and goes live when the signed summary lists the published commits; then purges", async () => {
    const app = `org.example.FmHappy${Date.now() % 100000}`;
    const b = await fmBuild(app);
    const e = eventFor(app, b);
    expect((await postBuild(e)).status).toBe(202);
    const live = await until(async () => {
      const s = await buildState(e);
      return s.state === "live" && s;
    }, "live");
    const { requests, jobs, builds } = await fmState();
    const mine = requests.filter((r) => r.path.startsWith(`/api/v1/build/${b.id}`));
    // read on intake and again before publishing
    expect(mine.filter((r) => r.path.endsWith("/extended")).length).toBeGreaterThanOrEqual(2);
    const post = mine.find((r) => r.method === "POST" && r.path.endsWith("/publish"));
    expect(post).toMatchObject({ body: "{}", status: 200 });
    // the narrowest claims: one build, one scope, this app, flat-manager's repo name
    expect(post.claims).toMatchObject({ sub: `build/${b.id}`, scope: ["publish"], prefixes: [app], repos: ["stable"] });
    // GET with a JSON body, as flat-manager requires, and it answered 200
    const read = mine.find((r) => r.method === "GET" && r.path.endsWith("/publish"));
    expect(read).toMatchObject({ contentType: "application/json", body: "{}", status: 200 });
    const publishJob = jobs.find((j) => j.id === builds.find((x) => x.id === b.id).publish_job_id);
    const updateId = JSON.parse(publishJob.results)["update-repo-job"];
    const jobReads = requests.filter((r) => r.path === `/api/v1/job/${updateId}`);
    const jobRead = jobReads[0];
    expect(jobRead).toMatchObject({ method: "GET", contentType: "application/json", body: '{"log-offset":0}', status: 200 });
    // each read asks only for the log it has not seen (byte offsets)
    const offsets = jobReads.map((r) => JSON.parse(r.body)["log-offset"]);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(jobRead.claims).toMatchObject({ sub: "build", scope: ["jobs"] });
    expect(jobs.find((j) => j.id === updateId).status).toBe(2);
    // live at the commits flat-manager published (re-signed in the main repo), not the build's
    const ref = Object.keys(b.refs)[0]!;
    expect(live.published_refs[ref]).toBe(JSON.parse(publishJob.results).refs[ref]);
    expect(live.published_refs[ref]).not.toBe(b.refs[ref]);
    expect(live.live.summary_sha256).toMatch(/^[0-9a-f]{64}$/);
    // read at the origin through flatpak's summary index: the signed index, then the arch's subsummary
    const repoReads = requests.filter((r) => r.path.startsWith("/repo/stable/")).map((r) => r.path);
    expect(repoReads).toEqual(expect.arrayContaining(["/repo/stable/summary", "/repo/stable/summary.sig", "/repo/stable/summary.idx", "/repo/stable/summary.idx.sig"]));
    expect(repoReads.some((p) => /^\/repo\/stable\/summaries\/[0-9a-f]{64}\.gz$/.test(p))).toBe(true);
    // Flatgate asked flat-manager for no update-repo of its own, and the purge ran
    expect(requests.some((r) => r.path.includes("republish") || r.path.includes("update"))).toBe(false);
    const update = await until(async () => {
      const u = await json(await operator("GET", `/v1/repos/${REPO}/updates/${live.live.update_id}`));
      return u.purge && u;
    }, "purge report");
    expect(update.purge.providers).toEqual([expect.objectContaining({ provider: "fastly", ok: true })]);
  });

  it("refuses at intake, naming the reason: checks, repo_state, refs", async () => {
    const review = await fmBuild("org.example.FmReview", { checks: [{ name: "lint", status: 4, reason: "new permission: --filesystem=home" }] });
    let res = await postBuild(eventFor("org.example.FmReview", review));
    expect(res.status).toBe(422);
    let body = await json(res);
    expect(body.error.code).toBe("build_refused");
    expect(body.error.message).toBe(`flat-manager build ${review.id}: checks block it: lint is ReviewRequired (new permission: --filesystem=home)`);

    const validating = await fmBuild("org.example.FmValidating", { repo_state: 6 });
    res = await postBuild(eventFor("org.example.FmValidating", validating));
    expect(res.status).toBe(422);
    expect((await json(res)).error.message).toContain("is in repo_state Validating, not Ready");

    const other = await fmBuild("org.example.FmRefs");
    const e = eventFor("org.example.FmRefs", other);
    const ref = Object.keys(other.refs)[0]!;
    e.artifact.refs = { [ref]: "0".repeat(64) };
    res = await postBuild(e);
    body = await json(res);
    expect(res.status).toBe(422);
    expect(body.error.message).toContain("refs differ from the event");
    expect(body.error.issues[0].path).toBe("artifact.url");
  });

  it("refuses before publishing when the build changed since intake: a permanent failure with the reason", async () => {
    const b = await fmBuild("org.example.FmLateFail");
    await operator("POST", `/v1/repos/${REPO}/pause`, { reason: "stage" });
    const e = eventFor("org.example.FmLateFail", b);
    expect((await postBuild(e)).status).toBe(202);
    await control(fm(), "set", { id: b.id, fields: { repo_state: 3, repo_state_reason: "1 out of 1 checks failed (lint)" } });
    await operator("POST", `/v1/repos/${REPO}/resume`);
    const failed = await until(async () => {
      const s = await buildState(e);
      return s.state === "failed" && s;
    }, "failed");
    expect(failed.reason).toContain(`flat-manager build ${b.id} is in repo_state Failed, not Ready: 1 out of 1 checks failed (lint)`);
    expect((await fmState()).requests.some((r) => r.method === "POST" && r.path === `/api/v1/build/${b.id}/publish`)).toBe(false);
  });

  it("treats wrong-published-state `published` as success: the build goes on to live, published once", async () => {
    const app = "org.example.FmRace";
    const b = await fmBuild(app);
    await operator("POST", `/v1/repos/${REPO}/pause`, { reason: "stage" });
    const e = eventFor(app, b);
    expect((await postBuild(e)).status).toBe(202);
    // published behind Flatgate's back, and Flatgate's pre-publish read still sees it unpublished
    await control(fm(), "publish-directly", { id: b.id });
    await until(async () => (await fmState()).builds.find((x) => x.id === b.id).published_state === 2, "published by flat-manager", 10_000);
    await control(fm(), "set", { id: b.id, fields: { staleExtended: true } });
    await operator("POST", `/v1/repos/${REPO}/resume`);
    await until(async () => (await buildState(e)).state === "live", "live");
    const posts = (await fmState()).requests.filter((r) => r.method === "POST" && r.path === `/api/v1/build/${b.id}/publish`);
    expect(posts).toHaveLength(1);
    expect(posts[0].status).toBe(400);
    expect((await fmState()).jobs.filter((j) => j.kind === 1 && JSON.parse(j.contents).build === b.id)).toHaveLength(1);
  });

  it("says in plain words when flat-manager rejects the token, at intake and while publishing", async () => {
    const b = await fmBuild("org.example.FmToken");
    // tokens minted now are expired on flat-manager's clock
    await control(fm(), "clock", { offset_s: 3600 });
    const res = await postBuild(eventFor("org.example.FmToken", b));
    expect(res.status).toBe(502);
    const msg = (await json(res)).error.message;
    expect(msg).toContain("flat-manager rejected FLAT_MANAGER_SECRET (Token is expired)");

    await control(fm(), "clock", { offset_s: 0 });
    await operator("POST", `/v1/repos/${REPO}/pause`, { reason: "stage" });
    const e = eventFor("org.example.FmToken", b);
    expect((await postBuild(e)).status).toBe(202);
    await control(fm(), "clock", { offset_s: 3600 });
    await operator("POST", `/v1/repos/${REPO}/resume`);
    // one repo alert in plain words; the build waits in publishing instead of failing
    const slack = async () => ((await (await fetch(`${saas()}/__control/requests`)).json()) as any[]).filter((r) => r.path === "/slack/chat.postMessage");
    await until(async () => (await slack()).some((r) => r.body.includes(`the backend of ${REPO} refuses Flatgate's credential`) && r.body.includes("FLAT_MANAGER_SECRET") && r.body.includes("Token is expired")), "the credential alert");
    expect((await fmState()).requests.some((r) => r.status === 401)).toBe(true);
    expect((await buildState(e)).state).toBe("publishing");
    // fixed: it goes on by itself, and an all-clear follows
    await control(fm(), "clock", { offset_s: 0 });
    await until(async () => (await buildState(e)).state === "live", "live once the token works");
    await until(async () => (await slack()).some((r) => r.body.includes(`all clear: the backend of ${REPO} accepts Flatgate's credential again`)), "the all-clear");
    await control(fm(), "clock", { offset_s: 0 });
  });

  it("refuses a job read without its JSON body, as flat-manager does, so the body is what makes the reads work", async () => {
    const res = await fetch(`${fm()}/api/v1/job/1`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(await res.text()).toBe("Content type error");
    // and workerd's fetch cannot send one, which is why the client uses a socket
    expect(() => new Request(`${fm()}/api/v1/job/1`, { method: "GET", body: "{}" })).toThrow(/GET or HEAD/);
  });

  it("leaves coalescing to flat-manager: publishes inside delay-update-secs share one update-repo job, and all go live", async () => {
    await control(fm(), "delay", { secs: 2 });
    await operator("POST", `/v1/repos/${REPO}/pause`, { reason: "collect" });
    const apps = ["org.example.FmCoalesceA", "org.example.FmCoalesceB", "org.example.FmCoalesceC"];
    const made = await Promise.all(apps.map((a) => fmBuild(a)));
    const events = apps.map((a, i) => eventFor(a, made[i]!));
    for (const e of events) expect((await postBuild(e)).status).toBe(202);
    await operator("POST", `/v1/repos/${REPO}/resume`);
    await until(async () => (await Promise.all(events.map(buildState))).every((b) => b.state === "live"), "all live");
    const { jobs, builds } = await fmState();
    const updateIds = new Set(made.map((m) => JSON.parse(jobs.find((j) => j.id === builds.find((b) => b.id === m.id).publish_job_id).results)["update-repo-job"]));
    expect(updateIds.size).toBe(1);
    expect(jobs.find((j) => j.id === [...updateIds][0]).status).toBe(2);
  });

  it("a flat-manager restart during update-repo: the Broken job is re-queued, and live waits for a summary that lists the build", async () => {
    const app = "org.example.FmRestartUpdate";
    const b = await fmBuild(app);
    await control(fm(), "stall", { kinds: [2] });
    const e = eventFor(app, b);
    expect((await postBuild(e)).status).toBe(202);
    await until(async () => (await fmState()).jobs.some((j) => j.kind === 2 && j.status === 1), "update-repo started", 15_000);
    expect((await buildState(e)).state).toBe("published");
    await control(fm(), "restart");
    await control(fm(), "stall", { kinds: [] });
    const { jobs } = await fmState();
    expect(jobs.some((j) => j.kind === 2 && j.status === 3)).toBe(true);
    const live = await until(async () => {
      const s = await buildState(e);
      return s.state === "live" && s;
    }, "live after the re-queued update-repo");
    const ref = Object.keys(b.refs)[0]!;
    expect(live.published_refs[ref]).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a flat-manager restart during publish: the Broken publish fails the build with the reason, and it is not published again", async () => {
    const app = "org.example.FmRestartPublish";
    const b = await fmBuild(app);
    await control(fm(), "stall", { kinds: [1] });
    const e = eventFor(app, b);
    expect((await postBuild(e)).status).toBe(202);
    await until(async () => (await fmState()).jobs.some((j) => j.kind === 1 && j.status === 1 && JSON.parse(j.contents).build === b.id), "publish started", 15_000);
    await control(fm(), "restart");
    await control(fm(), "stall", { kinds: [] });
    const failed = await until(async () => {
      const s = await buildState(e);
      return s.state === "failed" && s;
    }, "failed");
    expect(failed.reason).toMatch(/Broken|restarted during publish/);
    const posts = (await fmState()).requests.filter((r) => r.method === "POST" && r.path === `/api/v1/build/${b.id}/publish`);
    expect(posts).toHaveLength(1);
  });

  it("a Flatgate job retried under a new id (its state lost) follows the build flat-manager already published: once, same commits", async () => {
    const app = "org.example.FmRetry";
    const b = await fmBuild(app);
    const service = publishService(env as unknown as Env);
    const request = (jobId: string) => ({ job_id: jobId, kind: "publish" as const, repo: REPO, builds: [{ build_key: `${REPO}/${app}/r1`, app_id: app, artifact: { url: b.url, refs: b.refs } }] });
    const runToEnd = async (jobId: string) => {
      expect((await service.submitJob(request(jobId))).ok).toBe(true);
      // the same id again is the same job
      expect(await service.submitJob(request(jobId))).toMatchObject({ ok: true, value: { job_id: jobId } });
      for (let i = 0; i < 200; i++) {
        const got = await service.getJob(jobId);
        if (got.ok && got.value.state === "succeeded") return got.value;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`${jobId} did not finish`);
    };
    const first = await runToEnd(`${REPO}-publish-9001-aaaa`);
    const second = await runToEnd(`${REPO}-publish-9002-bbbb`);
    expect(first.kind === "publish" && first.result?.builds[0]).toMatchObject({ ok: true });
    expect(second.kind === "publish" && second.result?.builds).toEqual(first.kind === "publish" ? first.result?.builds : undefined);
    const posts = (await fmState()).requests.filter((r) => r.method === "POST" && r.path === `/api/v1/build/${b.id}/publish`);
    expect(posts).toHaveLength(1);
  });

  it("purges a build that ends superseded before it was published from flat-manager's build repos", async () => {
    const app = "org.example.FmHousekeeping";
    await operator("POST", `/v1/repos/${REPO}/pause`, { reason: "hold the queue" });
    const older = await fmBuild(app);
    const e1 = eventFor(app, older);
    expect((await postBuild(e1)).status).toBe(202);
    const newer = await fmBuild(app);
    expect((await postBuild(eventFor(app, newer))).status).toBe(202);
    expect((await buildState(e1)).state).toBe("superseded");
    const purge = await driveAlarms(publisherStub(REPO, app), async () => (await fmState()).requests.find((r) => r.method === "POST" && r.path === `/api/v1/build/${older.id}/purge`), "purge of the superseded build");
    expect(purge).toMatchObject({ status: 200 });
    expect(purge.claims).toMatchObject({ sub: `build/${older.id}`, scope: ["build"] });
    expect((await fmState()).builds.find((b) => b.id === older.id).repo_state).toBe(5);
    expect((await fmState()).requests.some((r) => r.path === `/api/v1/build/${newer.id}/purge`)).toBe(false);
  });

  it("retries flat-manager's 5xx answers with backoff and loses nothing", async () => {
    const app = "org.example.FmFlaky";
    const b = await fmBuild(app);
    await operator("POST", `/v1/repos/${REPO}/pause`, { reason: "stage" });
    const e = eventFor(app, b);
    expect((await postBuild(e)).status).toBe(202);
    await control(fm(), "fail-next", { n: 4, status: 500, body: { status: 500, "error-type": "internal-error", message: "Internal Server Error" } });
    await operator("POST", `/v1/repos/${REPO}/resume`);
    await until(async () => (await buildState(e)).state === "live", "live after the outage");
    const { requests } = await fmState();
    expect(requests.filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(4);
    expect(requests.filter((r) => r.method === "POST" && r.path === `/api/v1/build/${b.id}/publish` && r.status === 200)).toHaveLength(1);
  });
});
