/**
 * update-repo at scale with real ostree/flatpak/gpg: thousands of changed refs keep the Job
 * (callback body, GET /v1/jobs/:id) under 64 KiB, the refs are paged from
 * GET /v1/jobs/:id/refs, and the digest in the result is refsDigest over those pages.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refsDigest } from "../../lib/refs-digest.js";
import { JobRefsPage, MAX_JOB_BODY_BYTES, UpdateRepoResult, type JobRefEntry } from "../../lib/repo-master-contract.js";
import { makeTestBuild, pointManyRefs } from "../../repo-master/dev-repo.js";
import { buildCommitFrom, revParse, signingOf } from "../../repo-master/ostree.js";
import { runCommand } from "../../repo-master/run-command.js";
import { REPO, setupAgent, type TestAgent } from "./helpers.js";

const REFS = 5_000;
let t: TestAgent;
let commit: string;
let many: string[];

beforeAll(async () => {
  t = await setupAgent();
  const build = await makeTestBuild({ dir: path.join(t.dir, "seed"), appId: "org.example.Seed", branch: "stable" });
  const repo = t.config.repos[REPO]!;
  const imported = await buildCommitFrom({ srcRepo: build.repoPath, srcCommit: build.refs[build.ref]!, destRepo: repo.path, destRef: build.ref, signing: signingOf(repo) });
  expect(imported.ok, imported.stderr).toBe(true);
  commit = (await revParse(repo.path, build.ref)).stdout.trim();
  const arch = build.ref.split("/")[2]!;
  many = await pointManyRefs({ repoPath: repo.path, commit, count: REFS, arch });
});
afterAll(async () => {
  await t?.cleanup();
});

async function pageAll(jobId: string, limit?: number): Promise<{ refs: JobRefEntry[]; pages: number }> {
  const refs: JobRefEntry[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const q = new URLSearchParams({ ...(limit ? { limit: String(limit) } : {}), ...(cursor ? { cursor } : {}) });
    const res = await t.call("GET", `/v1/jobs/${jobId}/refs?${q}`);
    expect(res.status).toBe(200);
    const page = JobRefsPage.parse(await res.json());
    refs.push(...page.refs);
    cursor = page.next_cursor;
    pages++;
  } while (cursor);
  return { refs, pages };
}

describe("update-repo with thousands of changed refs", () => {
  const missing = "app/org.example.Missing/x86_64/stable";

  it("keeps the Job under 64 KiB and pages every ref with its summary commit", async () => {
    const changed = [...many, missing];
    const post = await t.call("POST", "/v1/jobs", { job_id: "upd-many", kind: "update-repo", repo: REPO, options: { changed_refs: changed } });
    expect(post.status).toBe(202);
    // before it has succeeded there is nothing to page
    const early = await t.call("GET", "/v1/jobs/upd-many/refs");
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: "not_finished" } });

    const job = await t.waitForJob("upd-many", 120_000);
    expect(job.state, job.error).toBe("succeeded");
    const body = JSON.stringify(job);
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_JOB_BODY_BYTES);
    const res = await t.call("GET", "/v1/jobs/upd-many");
    expect(Buffer.byteLength(await res.text())).toBeLessThanOrEqual(MAX_JOB_BODY_BYTES);

    const result = UpdateRepoResult.parse(job.result);
    const listed = await runCommand("ostree", [`--repo=${t.dev.repoPath}`, "refs"]);
    expect(result.refs_count).toBe(listed.stdout.trim().split("\n").length);
    expect(result.refs_count).toBeGreaterThan(REFS);

    const { refs, pages } = await pageAll("upd-many", 1000);
    expect(pages).toBe(Math.ceil((REFS + 1) / 1000));
    expect(refs).toHaveLength(REFS + 1);
    expect(refs.map((r) => r.ref)).toEqual([...changed].sort());
    expect(refs.find((r) => r.ref === missing)).toEqual({ ref: missing, commit: null });
    expect(refs.filter((r) => r.commit === commit)).toHaveLength(REFS);
    expect(result.changed_refs).toEqual({ count: REFS + 1, sha256: await refsDigest(refs.map((r) => [r.ref, r.commit])) });
    // the default page size gives the same list
    expect((await pageAll("upd-many")).refs).toEqual(refs);
  });

  it("refuses an unknown job, a publish job, a bad limit and a forged cursor", async () => {
    expect((await t.call("GET", "/v1/jobs/nope/refs")).status).toBe(404);
    expect((await t.call("GET", "/v1/jobs/upd-many/refs?limit=0")).status).toBe(422);
    expect((await t.call("GET", "/v1/jobs/upd-many/refs?limit=1001")).status).toBe(422);
    const forged = await t.call("GET", "/v1/jobs/upd-many/refs?cursor=not-a-cursor!");
    expect(forged.status).toBe(422);
    expect(await forged.json()).toMatchObject({ error: { code: "invalid_payload", issues: [{ path: "cursor" }] } });
    // signed like every /v1 route
    expect((await fetch(`${t.agent.url}/v1/jobs/upd-many/refs`)).status).toBe(401);
  });
});
