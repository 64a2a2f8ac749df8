/**
 * The stand-in agent of the workerd tests must answer like the real one: the bounded
 * update-repo result, the digest over the refs its publish jobs moved, and the paged refs
 * route. Exercised through workers/publish's RepoMasterClient, the one client of both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refsDigest } from "../../lib/refs-digest.js";
import { UpdateRepoResult, type Job } from "../../lib/repo-master-contract.js";
import { generateSecret } from "../../lib/standard-webhooks.js";
import { RepoMasterClient } from "../../workers/publish/repo-master-client.js";
import { startFakeRepoMaster } from "../fixtures/fake-repo-master.js";

let fake: Awaited<ReturnType<typeof startFakeRepoMaster>>;
let client: RepoMasterClient;
const COUNT = 1_234;
const refs = Array.from({ length: COUNT }, (_, i) => `app/org.example.App${i}/x86_64/stable`);

beforeAll(async () => {
  const secret = generateSecret();
  fake = await startFakeRepoMaster(secret);
  client = new RepoMasterClient({ REPO_MASTER_URL: fake.url, REPO_MASTER_SECRET: secret });
});
afterAll(async () => {
  await fake?.close();
});

async function finished(jobId: string): Promise<Job> {
  const job = await client.getJob(jobId);
  if (!job.ok) throw new Error(job.error.message);
  return job.value;
}

describe("fake repo master", () => {
  it("reports the refs its publishes moved, as a digest and in pages", async () => {
    const builds = refs.slice(0, 200).map((ref, i) => ({
      build_key: `stable/org.example.App${i}/1`,
      app_id: `org.example.App${i}`,
      artifact: { url: "/builds/repo", refs: { [ref]: "a".repeat(64) } },
    }));
    expect((await client.submitJob({ job_id: "pub-a", kind: "publish", repo: "stable", builds })).ok).toBe(true);
    const published = await finished("pub-a");
    const commits = new Map<string, string>();
    if (published.kind === "publish") for (const b of published.result?.builds ?? []) if (b.ok) for (const [r, c] of Object.entries(b.refs)) commits.set(r, c);
    expect(commits.size).toBe(200);

    // asks about all of them: 200 published, the rest unknown to the repo (null)
    expect((await client.submitJob({ job_id: "upd-a", kind: "update-repo", repo: "stable", options: { changed_refs: refs } })).ok).toBe(true);
    const result = UpdateRepoResult.parse((await finished("upd-a")).result);
    const expected = refs.map((r) => [r, commits.get(r) ?? null] as const);
    expect(result).toMatchObject({ refs_count: 200, changed_refs: { count: COUNT, sha256: await refsDigest(expected) } });
    expect(result.changed_paths.some((p) => p.startsWith("refs/"))).toBe(false);

    const paged: { ref: string; commit: string | null }[] = [];
    let cursor: string | undefined;
    let calls = 0;
    for (;;) {
      const page = await client.getJobRefs("upd-a", cursor);
      if (!page.ok) throw new Error(page.error.message);
      paged.push(...page.value.refs);
      calls++;
      if (!page.value.next_cursor) break;
      cursor = page.value.next_cursor;
    }
    expect(calls).toBe(2); // pages of 1,000
    expect(await refsDigest(paged.map((r) => [r.ref, r.commit]))).toBe(result.changed_refs.sha256);
    expect(paged.map((r) => r.ref)).toEqual([...refs].sort());
  });

  it("answers not_found and not_finished like the agent", async () => {
    const unknown = await client.getJobRefs("nope");
    expect(unknown).toMatchObject({ ok: false, error: { status: 404, code: "not_found", retryable: false } });
    await fetch(`${fake.url}/__control/mode`, { method: "POST", body: JSON.stringify({ hold: true }) });
    await client.submitJob({ job_id: "upd-held", kind: "update-repo", repo: "stable", options: { changed_refs: [] } });
    expect(await client.getJobRefs("upd-held")).toMatchObject({ ok: false, error: { status: 409, code: "not_finished" } });
  });
});
