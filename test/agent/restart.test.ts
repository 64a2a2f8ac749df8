/**
 * Durability and callbacks: a job the previous process left `running` is run again after a
 * restart (runs = 2) and reported to the pipeline with a verifiable signature.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Job, JobRefsPage, PublishResult, UpdateRepoResult } from "../../lib/repo-master-contract.js";
import { refsDigest } from "../../lib/refs-digest.js";
import { verify } from "../../lib/standard-webhooks.js";
import { makeTestBuild } from "../../repo-master/dev-repo.js";
import type { StoredJob } from "../../repo-master/job-store.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";
import { REPO, setupAgent, type TestAgent } from "./helpers.js";

const APP = "org.flatgate.Durable";
const LEGACY_REF = "app/org.flatgate.Old/x86_64/stable";
let pipeline: RecordingServer;
let t: TestAgent;

beforeAll(async () => {
  pipeline = await startRecordingServer(() => ({ status: 204 }));
  t = await setupAgent({
    pipelineUrl: pipeline.url,
    // what a crash mid-publish leaves on disk: the job persisted as running, run once
    beforeStart: async ({ dir, dev }) => {
      const build = await makeTestBuild({ dir: path.join(dir, "builder"), appId: APP, branch: "stable" });
      const at = new Date(Date.now() - 60_000).toISOString();
      const stored: StoredJob = {
        request: { job_id: "crashed-1", kind: "publish", repo: REPO, builds: [{ build_key: `${REPO}/${APP}/1`, app_id: APP, artifact: { url: build.repoPath, refs: build.refs } }] },
        job: { job_id: "crashed-1", kind: "publish", repo: REPO, state: "running", log_tail: ["run 1 started"], created_at: at, updated_at: at, runs: 1 },
      };
      const jobs = path.join(dev.config.state_dir, "jobs");
      await mkdir(jobs, { recursive: true });
      await writeFile(path.join(jobs, "crashed-1.json"), JSON.stringify(stored));
      // what an agent before the bounded result left: every ref of the repo in the result
      await writeFile(
        path.join(jobs, "legacy-upd.json"),
        JSON.stringify({
          request: { job_id: "legacy-upd", kind: "update-repo", repo: REPO, options: { changed_refs: [LEGACY_REF, "app/org.flatgate.Gone/x86_64/stable"] } },
          job: {
            job_id: "legacy-upd", kind: "update-repo", repo: REPO, state: "succeeded", log_tail: [], created_at: at, updated_at: at, runs: 1,
            result: { summary_sha256: "b".repeat(64), changed_paths: ["summary", "summary.sig", `refs/heads/${LEGACY_REF}`], refs: { [LEGACY_REF]: "c".repeat(64), "app/org.flatgate.Other/x86_64/stable": "d".repeat(64) }, duration_ms: 10 },
          },
        }),
      );
    },
  });
});
afterAll(async () => {
  await t?.cleanup();
  await pipeline?.close();
});

describe("restart", () => {
  it("re-runs a job found running and reports it", async () => {
    const job = await t.waitForJob("crashed-1");
    expect(job).toMatchObject({ state: "succeeded", runs: 2 });
    expect(PublishResult.parse(job.result).builds[0]).toMatchObject({ ok: true });
    expect(job.log_tail[0]).toBe("run 1 started");
  });

  it("posts the finished job to the pipeline, signed", async () => {
    await expect.poll(() => pipeline.requests.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const req = pipeline.requests[0]!;
    expect(req).toMatchObject({ method: "POST", path: "/v1/repo-master/events" });
    const checked = await verify([t.secret], { id: req.headers["webhook-id"], timestamp: req.headers["webhook-timestamp"], signature: req.headers["webhook-signature"], body: req.body });
    expect(checked.ok).toBe(true);
    expect(Job.parse(req.json)).toMatchObject({ job_id: "crashed-1", state: "succeeded", runs: 2 });
  });

  it("resumes queued jobs after a clean stop and keeps finished ones", async () => {
    await t.stop();
    await t.restart();
    const res = await t.call("GET", "/v1/jobs/crashed-1");
    expect(Job.parse(await res.json())).toMatchObject({ state: "succeeded", runs: 2 });
    const ref = `app/${APP}/x86_64/stable`;
    const post = await t.call("POST", "/v1/jobs", { job_id: "after-restart", kind: "update-repo", repo: REPO, options: { changed_refs: [ref] } });
    expect(post.status).toBe(202);
    const done = await t.waitForJob("after-restart");
    expect(done.state).toBe("succeeded");
    // the ref published before the restart is in the new summary, at the commit the publish reported
    const [published] = PublishResult.parse(Job.parse(await (await t.call("GET", "/v1/jobs/crashed-1")).json()).result).builds;
    const commit = published?.ok ? published.refs[ref] : undefined;
    expect(commit).toMatch(/^[0-9a-f]{64}$/);
    expect(UpdateRepoResult.parse(done.result).changed_refs.count).toBe(1);
    const page = async () => JobRefsPage.parse(await (await t.call("GET", "/v1/jobs/after-restart/refs")).json()).refs;
    expect(await page()).toEqual([{ ref, commit }]);
    // and its refs are still there to page after another restart
    await t.stop();
    await t.restart();
    expect(await page()).toEqual([{ ref, commit }]);
  });

  it("reads a job file of an older agent in today's shape, refs pageable", async () => {
    const job = Job.parse(await (await t.call("GET", "/v1/jobs/legacy-upd")).json());
    const gone = "app/org.flatgate.Gone/x86_64/stable";
    expect(UpdateRepoResult.parse(job.result)).toEqual({
      summary_sha256: "b".repeat(64),
      changed_paths: ["summary", "summary.sig"],
      refs_count: 2,
      changed_refs: { count: 2, sha256: await refsDigest([[LEGACY_REF, "c".repeat(64)], [gone, null]]) },
      duration_ms: 10,
    });
    const page = JobRefsPage.parse(await (await t.call("GET", "/v1/jobs/legacy-upd/refs")).json());
    expect(page.refs).toEqual([{ ref: gone, commit: null }, { ref: LEGACY_REF, commit: "c".repeat(64) }]);
    expect(t.logs.some((l) => l.msg === "unreadable job file skipped")).toBe(false);
  });

  it("retries a failed callback and gives up quietly", async () => {
    const before = pipeline.requests.length;
    pipeline.failNext(3, { status: 503 });
    const post = await t.call("POST", "/v1/jobs", { job_id: "cb-fail", kind: "update-repo", repo: REPO, options: { changed_refs: [] } });
    expect(post.status).toBe(202);
    await t.waitForJob("cb-fail");
    await expect.poll(() => pipeline.requests.length - before, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => t.logs.some((l) => l.msg.startsWith("callback failed")), { timeout: 10_000 }).toBe(true);
    // all three attempts carry the same message id, so the pipeline can dedupe
    const ids = new Set(pipeline.requests.slice(before).map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1);
  });

  it("posts to the job's callback_url when the request names one", async () => {
    const other = await startRecordingServer(() => ({ status: 204 }));
    try {
      const before = pipeline.requests.length;
      const post = await t.call("POST", "/v1/jobs", { job_id: "cb-url", kind: "update-repo", repo: REPO, options: { changed_refs: [] }, callback_url: `${other.url}/v1/repo-master/events` });
      expect(post.status).toBe(202);
      await t.waitForJob("cb-url");
      await expect.poll(() => other.requests.length, { timeout: 10_000 }).toBe(1);
      expect(other.requests[0]).toMatchObject({ method: "POST", path: "/v1/repo-master/events" });
      expect(Job.parse(other.requests[0]!.json)).toMatchObject({ job_id: "cb-url", state: "succeeded" });
      expect(pipeline.requests.length).toBe(before);
    } finally {
      await other.close();
    }
  });
});
