/**
 * What the coordinator reports is true (issue 10 #1, #8, #14) and its storage holds under faults
 * (issue 9): live only when the signed summary lists the build's commit, the outage alert on a
 * timer with an all-clear, pause keeps the first reason, claims never exist without their job,
 * a storage error backs off instead of spinning, and the detail routes page.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { RepoCoordinator } from "../../durable/repo-coordinator.js";
import { CoordinatorStore } from "../../durable/coordinator-store.js";
import { control, coordinatorStub, driveAlarms, fakeAgent, json, makeEvent, operator, postBuild, publisherStub, restartObject, saas } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Event = ReturnType<typeof makeEvent>;

async function post(app: string, repo = "truth", buildId?: string): Promise<Event> {
  const e = makeEvent({ repo, app_id: app, branch: "stable", ...(buildId ? { build_id: buildId } : {}) });
  expect((await postBuild(e)).status).toBe(202);
  return e;
}

const keyOf = (e: Event) => `${e.repo}/${e.app_id}/${e.build_id}`;
const state = async (e: Event) => (await json(await operator("GET", `/v1/repos/${e.repo}/apps/${e.app_id}/builds/${e.build_id}`))).build;
const agent = async (): Promise<{ jobs: any[]; requests: any[]; log: any[] }> => (await fetch(`${fakeAgent()}/__control/jobs`)).json() as any;
const saasRequests = async (): Promise<any[]> => (await fetch(`${saas()}/__control/requests`)).json() as any;
const until = <T>(repo: string, check: () => Promise<T | undefined | false>, what: string, ms?: number) => driveAlarms(coordinatorStub(repo), check, what, ms);

beforeEach(async () => {
  await control(fakeAgent(), "mode", { hold: false, down: false, dropFromSummary: [] });
});

describe("live means listed in the signed summary", () => {
  it("two builds of one ref in one update: the later is live, the earlier superseded by it", async () => {
    const app = `org.example.Twice${Date.now()}`;
    await control(fakeAgent(), "mode", { hold: true });
    const v1 = await post(app, "truth", "v1");
    const job1 = await until("truth", async () => (await agent()).jobs.find((j) => j.kind === "publish" && j.state === "running" && j.job_id.startsWith("truth-")), "v1's publish job");
    expect((await state(v1)).state).toBe("publishing");
    // v2 arrives while v1 is publishing: v1 cannot be superseded at intake any more
    const v2 = await post(app, "truth", "v2");
    expect((await state(v1)).state).toBe("publishing");
    await control(fakeAgent(), "mode", { hold: false });
    await fetch(`${fakeAgent()}/__control/complete/${job1.job_id}`, { method: "POST" });
    await until("truth", async () => ["live", "superseded"].includes((await state(v1)).state) && (await state(v2)).state === "live", "the update of both");
    const [b1, b2] = [await state(v1), await state(v2)];
    expect(b2.state).toBe("live");
    expect(b1.state).toBe("superseded");
    expect(b1.superseded_by).toBe(keyOf(v2));
    expect(b1.reason).toBeUndefined();
    // one summary update covered both publishes
    expect(b1.history.at(-1)).toMatchObject({ from: "published", to: "superseded" });
    const update = await json(await operator("GET", `/v1/repos/truth/updates/${b2.live.update_id}`));
    expect(update).toMatchObject({ ok: true, builds: 2, live: 1, superseded: 1 });
    expect(update.outcomes.items).toEqual(expect.arrayContaining([expect.objectContaining({ build_key: keyOf(v1), outcome: "superseded", superseded_by: keyOf(v2) })]));
    // its check run ends neutral, pointing at the newer build
    await driveAlarms(env.APP_PUBLISHER.get(env.APP_PUBLISHER.idFromName(`truth/${app}`)), async () => {
      const patches = (await saasRequests()).filter((r) => r.method === "PATCH" && r.path.includes("/check-runs/") && r.json?.conclusion === "neutral" && JSON.stringify(r.json.output).includes(keyOf(v2)));
      return patches.length > 0;
    }, "neutral check run");
  });

  it("a build whose ref the summary does not list is not live (the refs are read page by page)", async () => {
    const app = `org.example.Dropped${Date.now()}`;
    const e = makeEvent({ repo: "truth", app_id: app, branch: "stable" });
    const ref = Object.keys(e.artifact.refs)[0]!;
    await control(fakeAgent(), "mode", { dropFromSummary: [ref] });
    expect((await postBuild(e)).status).toBe(202);
    await until("truth", async () => (await state(e)).state === "superseded", "superseded");
    const b = await state(e);
    expect(b.superseded_by).toBeUndefined();
    expect(b.history.at(-1).reason).toContain(`does not list ${ref}`);
    const refsReads = (await agent()).log.filter((l) => l.path.endsWith("/refs"));
    expect(refsReads.length).toBeGreaterThan(0);
  });
});

describe("the repo master's outage", () => {
  it("alerts on its timer, probes while down, resumes within the probe interval and posts an all-clear", async () => {
    await control(fakeAgent(), "mode", { down: true });
    const e = await post(`org.example.Down${Date.now()}`);
    await until("truth", async () => (await saasRequests()).some((r) => r.path === "/slack/chat.postMessage" && r.body.includes("repo master for truth unreachable since")), "the outage alert");
    const view = await json(await operator("GET", "/v1/repos/truth"));
    expect(view.repo_master.reachable).toBe(false);
    await control(fakeAgent(), "mode", { down: false });
    const back = Date.now();
    await until("truth", async () => (await state(e)).state === "live", "live after the outage");
    // the probe (0.2 s here) found the agent, not the job's backoff
    expect(Date.now() - back).toBeLessThan(10_000);
    await until("truth", async () => (await saasRequests()).some((r) => r.path === "/slack/chat.postMessage" && r.body.includes("all clear: repo master for truth") && r.body.includes("after an outage of")), "the all-clear");
    expect((await json(await operator("GET", "/v1/repos/truth"))).repo_master.reachable).toBe(true);
  });
});

describe("pause", () => {
  it("a second pause keeps the first reason; the view says who paused and when", async () => {
    const first = await json(await operator("POST", "/v1/repos/quorum/pause", { reason: "mirror resync" }));
    expect(first).toMatchObject({ paused: true, paused_reason: "mirror resync", paused_by: "alice" });
    expect(Date.parse(first.paused_at)).toBeGreaterThan(0);
    const second = await json(await operator("POST", "/v1/repos/quorum/pause"));
    expect(second).toMatchObject({ paused_reason: "mirror resync", paused_at: first.paused_at });
    const resumed = await json(await operator("POST", "/v1/repos/quorum/resume"));
    expect(resumed.paused).toBe(false);
    expect(resumed.paused_reason).toBeUndefined();
    expect(resumed.paused_by).toBeUndefined();
  });
});

describe("storage", () => {
  it("reading a repo's views creates no storage and runs no schema statement", async () => {
    for (const path of ["/v1/repos/readonly", "/v1/repos/readonly/queue", "/v1/repos/readonly/updates", "/v1/repos/readonly/updates/nope"]) {
      expect([200, 404]).toContain((await operator("GET", path)).status);
    }
    const tables = await runInDurableObject(coordinatorStub("readonly"), async (_i: RepoCoordinator, ctx) =>
      ctx.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray().map((r) => r.name));
    expect(tables).toEqual([]);
  });

  it("the queue pages with an opaque cursor; the view shows counts", async () => {
    await operator("POST", "/v1/repos/truth/pause", { reason: "paging" });
    const posted: Event[] = [];
    for (let i = 0; i < 7; i++) posted.push(await post(`org.example.Page${i}x${Date.now()}`));
    const keys: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await json(await operator("GET", `/v1/repos/truth/queue?limit=3${cursor ? `&cursor=${cursor}` : ""}`));
      expect(page.items.length).toBeLessThanOrEqual(3);
      keys.push(...page.items.map((i: any) => i.build_key));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 50);
    expect(keys).toEqual(expect.arrayContaining(posted.map(keyOf)));
    const view = await json(await operator("GET", "/v1/repos/truth"));
    expect(view.queue_count).toBe(keys.length);
    expect((await operator("GET", "/v1/repos/truth/queue?limit=500")).status).toBe(422);
    expect((await operator("GET", "/v1/repos/truth/queue?cursor=abc")).status).toBe(422);
    await operator("POST", "/v1/repos/truth/resume");
    await until("truth", async () => (await Promise.all(posted.map(state))).every((b) => b.state === "live"), "the paged builds live");
  });

  it("a claim is written with its job in one transaction; a job interrupted after it resumes and publishes", async () => {
    await operator("POST", "/v1/repos/truth/pause", { reason: "stage a claim" });
    const e = await post(`org.example.Claim${Date.now()}`);
    await driveAlarms(publisherStub("truth", e.app_id), async () => (await state(e)).state === "queued", "queued at the coordinator");
    const stub = coordinatorStub("truth");
    // what startPublish writes before it tells the AppPublisher: the process dies right here
    await runInDurableObject(stub, async (_i: RepoCoordinator, ctx) => {
      const store = new CoordinatorStore(ctx.storage);
      // a failing transaction leaves neither the job nor the claim
      expect(() => store.write(() => {
        store.putJob({ job_id: "truth-publish-doomed", kind: "publish", phase: "claiming", created_at: Date.now(), failures: 0, next_check_at: Date.now() });
        store.claimForJob("truth-publish-doomed", [keyOf(e)]);
        throw new Error("SQLITE_FULL (simulated)");
      })).toThrow("SQLITE_FULL");
      expect(store.jobs()).toEqual([]);
      expect(store.queuedInJob("truth-publish-doomed")).toEqual([]);
      store.write(() => {
        store.putJob({ job_id: "truth-publish-staged", kind: "publish", phase: "claiming", created_at: Date.now(), failures: 0, next_check_at: Date.now() });
        store.claimForJob("truth-publish-staged", [keyOf(e)]);
      });
      // the alarm that was running is retried after the crash (as workerd retries a failed alarm)
      await ctx.storage.setAlarm(Date.now());
    });
    // a restart of this object only: aborting every object mid-alarm has hung the test pool
    await restartObject(stub);
    // the job runs although the repo is paused (it was started before); the summary waits for resume
    await until("truth", async () => (await state(e)).state === "published", "the staged job's build published");
    await operator("POST", "/v1/repos/truth/resume");
    await until("truth", async () => (await state(e)).state === "live", "live after resume");
    const b = await state(e);
    expect(b.history.find((h: any) => h.to === "publishing").reason).toContain("truth-publish-staged");
    const at = (await agent()).requests.filter((r) => r.kind === "publish" && r.builds.some((x: any) => x.build_key === keyOf(e)));
    expect(at.map((r) => r.job_id)).toEqual(["truth-publish-staged"]);
  });

  it("a storage error in a pass backs off and alerts instead of spinning", async () => {
    const stub = coordinatorStub("quorum");
    await operator("POST", "/v1/repos/quorum/pause", { reason: "setup" });
    await operator("POST", "/v1/repos/quorum/resume");
    await runInDurableObject(stub, async (_i: RepoCoordinator, ctx) => {
      // a row this code cannot read stands in for any storage fault the pass hits
      ctx.storage.sql.exec("INSERT INTO queue (build_key, pos, app_id, artifact, enqueued_at, attempts, ready_at) VALUES ('quorum/x/1', 999999, 'x', 'not json', 0, 0, 0)");
      await ctx.storage.setAlarm(Date.now());
    });
    const before = Date.now();
    await runDurableObjectAlarm(stub);
    const first = await runInDurableObject(stub, async (_i: RepoCoordinator, ctx) => ctx.storage.getAlarm());
    expect(first).toBeGreaterThanOrEqual(before + 400);
    await sleep(Math.max(0, (first ?? 0) - Date.now()) + 20);
    await runDurableObjectAlarm(stub);
    const second = await runInDurableObject(stub, async (_i: RepoCoordinator, ctx) => ctx.storage.getAlarm());
    // capped exponential backoff: the second wait is longer than the first
    expect((second ?? 0) - Date.now()).toBeGreaterThan(600);
    // the alert goes straight to Slack (the outbox is in the storage that fails), paced with the rest
    await driveAlarms(stub, async () => (await saasRequests()).some((r) => r.path === "/slack/chat.postMessage" && r.body.includes("coordinator of quorum cannot make progress")), "the storage alert", 20_000);
    await runInDurableObject(stub, async (_i: RepoCoordinator, ctx) => {
      ctx.storage.sql.exec("DELETE FROM queue WHERE build_key = 'quorum/x/1'");
    });
  });
});

describe("retention", () => {
  it("final builds beyond retain_final_builds per branch are compacted to summary rows", async () => {
    const app = `org.example.Retain${Date.now()}`;
    const posted: Event[] = [];
    for (let i = 0; i < 5; i++) posted.push(await post(app, "retain", `r${i}`));
    // each newer build supersedes the one before: r0..r3 are final, r4 awaits approval
    const stub = publisherStub("retain", app);
    await driveAlarms(stub, async () => (await state(posted[0]!)).compacted === true, "the oldest compacted");
    const views = await Promise.all(posted.map(state));
    expect(views.map((b) => b.state)).toEqual(["superseded", "superseded", "superseded", "superseded", "awaiting_approval"]);
    expect(views.map((b) => b.compacted === true)).toEqual([true, true, false, false, false]);
    expect(views[0].superseded_by).toBe(keyOf(posted[1]!));
    expect(views[0].history.length).toBeLessThanOrEqual(5);
  });
});
