/**
 * Publishing for real: builds made with flatpak build-export, imported and signed by the agent,
 * the summary regenerated, and an ostree client verifying the signatures over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refsDigest } from "../../lib/refs-digest.js";
import { JobRefsPage, PublishResult, UpdateRepoResult, type CreateJobRequest } from "../../lib/repo-master-contract.js";
import { makeTestBuild } from "../../repo-master/dev-repo.js";
import { runCommand } from "../../repo-master/run-command.js";
import { clientRemote, REPO, setupAgent, tempDir, type TestAgent } from "./helpers.js";

const APP = "org.flatgate.Hello";
let t: TestAgent;
let buildsDir: string;

beforeAll(async () => {
  buildsDir = await tempDir("fg-builds-");
  t = await setupAgent({
    // the build machine's repo, served over HTTP by the same agent, to test http(s) artifacts
    extraRepos: {
      builds: { path: `${buildsDir}/http/repo`, gpg_key_ids: ["0000000000000000"], generate_static_deltas: false },
    },
  });
});
afterAll(async () => {
  await t?.cleanup();
  await runCommand("rm", ["-rf", buildsDir]);
});

async function post(req: CreateJobRequest) {
  const res = await t.call("POST", "/v1/jobs", req);
  expect(res.status).toBe(202);
  expect(await res.json()).toEqual({ job_id: req.job_id, state: "queued" });
  return t.waitForJob(req.job_id);
}

describe("publish then update-repo", () => {
  it("imports a signed build, regenerates the summary, and a client verifies both", async () => {
    const build = await makeTestBuild({ dir: `${buildsDir}/a`, appId: APP, branch: "stable" });
    const job = await post({
      job_id: "pub-1",
      kind: "publish",
      repo: REPO,
      builds: [{ build_key: `${REPO}/${APP}/1`, app_id: APP, artifact: { url: build.repoPath, refs: build.refs } }],
    });
    expect(job).toMatchObject({ state: "succeeded", runs: 1, kind: "publish" });
    const result = PublishResult.parse(job.result);
    const [first] = result.builds;
    expect(first?.ok).toBe(true);
    if (!first?.ok) return;
    const imported = first.refs[build.ref];
    // build-commit-from writes a new (signed) commit: its checksum is not the artifact's
    expect(imported).toMatch(/^[0-9a-f]{64}$/);
    expect(imported).not.toBe(build.refs[build.ref]);
    const inRepo = await runCommand("ostree", [`--repo=${t.dev.repoPath}`, "rev-parse", build.ref]);
    expect(inRepo.stdout.trim()).toBe(imported);

    const update = await post({ job_id: "upd-1", kind: "update-repo", repo: REPO, options: { changed_refs: [build.ref] } });
    expect(update.state).toBe("succeeded");
    const u = UpdateRepoResult.parse(update.result);
    expect(u.changed_paths).toEqual(expect.arrayContaining(["summary", "summary.sig", "summary.idx", "summary.idx.sig"]));
    // refs/heads/** is the pipeline's to name (it asked about those refs); content-addressed files never
    expect(u.changed_paths.some((p) => p.startsWith("refs/") || p.startsWith("summaries/") || p.startsWith("objects/"))).toBe(false);
    // the ref, its commit in the new summary, and every ref the summary lists (+ appstream, appstream2)
    expect(u.changed_refs).toEqual({ count: 1, sha256: await refsDigest([[build.ref, imported!]]) });
    const listed = await runCommand("ostree", [`--repo=${t.dev.repoPath}`, "refs"]);
    expect(u.refs_count).toBe(listed.stdout.trim().split("\n").length);
    const page = JobRefsPage.parse(await (await t.call("GET", "/v1/jobs/upd-1/refs")).json());
    expect(page).toEqual({ job_id: "upd-1", refs: [{ ref: build.ref, commit: imported }], next_cursor: null });

    const client = await clientRemote(t.dir, `${t.agent.url}/repos/${REPO}/`, t.dev.publicKeyPath);
    const summary = await runCommand("ostree", [`--repo=${client.repo}`, "remote", "summary", client.remote]);
    expect(summary.stderr).toBe("");
    expect(summary.stdout).toContain(build.ref);
    expect(summary.stdout).toMatch(/Good signature/);
    const pull = await runCommand("ostree", [`--repo=${client.repo}`, "pull", client.remote, build.ref]);
    expect(pull.ok, pull.stderr).toBe(true);
    const pulled = await runCommand("ostree", [`--repo=${client.repo}`, "rev-parse", `${client.remote}:${build.ref}`]);
    expect(pulled.stdout.trim()).toBe(imported);
    // the commit itself is signed with the repo key, checked against the remote's keyring
    const shown = await runCommand("ostree", [`--repo=${client.repo}`, "show", `--gpg-verify-remote=${client.remote}`, imported!]);
    expect(shown.stdout).toContain("Good signature");

    // nothing changed since: only the re-signed summary files move, no refs
    const again = UpdateRepoResult.parse((await post({ job_id: "upd-2", kind: "update-repo", repo: REPO, options: { changed_refs: [] } })).result);
    expect(again.changed_paths.filter((p) => p.startsWith("refs/heads/app/"))).toEqual([]);
  });

  it("refuses a tampered artifact permanently while the other build of the batch succeeds", async () => {
    const good = await makeTestBuild({ dir: `${buildsDir}/good`, appId: "org.flatgate.Good", branch: "stable" });
    const bad = await makeTestBuild({ dir: `${buildsDir}/bad`, appId: "org.flatgate.Bad", branch: "stable" });
    const otherCommit = good.refs[good.ref]!;
    const job = await post({
      job_id: "pub-tamper",
      kind: "publish",
      repo: REPO,
      builds: [
        // the event says one commit, the artifact holds another
        { build_key: `${REPO}/org.flatgate.Bad/1`, app_id: "org.flatgate.Bad", artifact: { url: `file://${bad.repoPath}`, refs: { [bad.ref]: otherCommit } } },
        { build_key: `${REPO}/org.flatgate.Good/1`, app_id: "org.flatgate.Good", artifact: { url: `file://${good.repoPath}`, refs: good.refs } },
      ],
    });
    expect(job.state).toBe("succeeded");
    const [b, g] = PublishResult.parse(job.result).builds;
    expect(b).toMatchObject({ ok: false, permanent: true, error: expect.stringContaining("integrity") });
    expect(g).toMatchObject({ ok: true });
    const absent = await runCommand("ostree", [`--repo=${t.dev.repoPath}`, "rev-parse", bad.ref]);
    expect(absent.ok).toBe(false);
  });

  it("refuses a ref that is not the build's app", async () => {
    const other = await makeTestBuild({ dir: `${buildsDir}/other`, appId: "org.flatgate.Victim", branch: "stable" });
    const job = await post({
      job_id: "pub-wrong-app",
      kind: "publish",
      repo: REPO,
      builds: [{ build_key: `${REPO}/org.flatgate.Evil/1`, app_id: "org.flatgate.Evil", artifact: { url: other.repoPath, refs: other.refs } }],
    });
    const [r] = PublishResult.parse(job.result).builds;
    expect(r).toMatchObject({ ok: false, permanent: true, error: expect.stringContaining("does not belong to org.flatgate.Evil") });
  });

  it("imports from an http:// artifact repo", async () => {
    const build = await makeTestBuild({ dir: `${buildsDir}/http`, appId: "org.flatgate.Remote", branch: "beta" });
    const job = await post({
      job_id: "pub-http",
      kind: "publish",
      repo: REPO,
      builds: [{ build_key: `${REPO}/org.flatgate.Remote/1`, app_id: "org.flatgate.Remote", artifact: { url: `${t.agent.url}/repos/builds/`, refs: build.refs } }],
    });
    const [r] = PublishResult.parse(job.result).builds;
    expect(r, JSON.stringify(job.log_tail)).toMatchObject({ ok: true });
  });

  it("reports an unreachable artifact as a transient failure after retrying", async () => {
    const build = await makeTestBuild({ dir: `${buildsDir}/gone`, appId: "org.flatgate.Gone", branch: "stable" });
    const job = await post({
      job_id: "pub-unreachable",
      kind: "publish",
      repo: REPO,
      builds: [{ build_key: `${REPO}/org.flatgate.Gone/1`, app_id: "org.flatgate.Gone", artifact: { url: "http://127.0.0.1:9/repo/", refs: build.refs } }],
    });
    const [r] = PublishResult.parse(job.result).builds;
    expect(r).toMatchObject({ ok: false, permanent: false });
    expect(job.log_tail.some((l) => l.includes("retrying"))).toBe(true);
  });

  it("generates static deltas when asked and reports the changed delta indexes", async () => {
    const build = await makeTestBuild({ dir: `${buildsDir}/a`, appId: APP, branch: "stable", marker: "second" });
    const pub = await post({
      job_id: "pub-2",
      kind: "publish",
      repo: REPO,
      builds: [{ build_key: `${REPO}/${APP}/2`, app_id: APP, artifact: { url: build.repoPath, refs: build.refs } }],
    });
    expect(PublishResult.parse(pub.result).builds[0]).toMatchObject({ ok: true });
    const job = await post({ job_id: "upd-deltas", kind: "update-repo", repo: REPO, options: { changed_refs: [], generate_static_deltas: true } });
    expect(job.state, job.error).toBe("succeeded");
    const paths = UpdateRepoResult.parse(job.result).changed_paths;
    expect(paths.some((p) => p.startsWith("delta-indexes/")), paths.join(" ")).toBe(true);
    expect(paths.some((p) => p.startsWith("deltas/"))).toBe(false);
  });

  it("reports a requested ref the summary lacks as null", async () => {
    const hello = `app/${APP}/x86_64/stable`;
    const gone = "app/org.flatgate.Never/x86_64/stable";
    const job = await post({ job_id: "upd-hint", kind: "update-repo", repo: REPO, options: { changed_refs: [gone, hello] } });
    const commit = (await runCommand("ostree", [`--repo=${t.dev.repoPath}`, "rev-parse", hello])).stdout.trim();
    expect(UpdateRepoResult.parse(job.result).changed_refs).toEqual({ count: 2, sha256: await refsDigest([[hello, commit], [gone, null]]) });
    const page = JobRefsPage.parse(await (await t.call("GET", "/v1/jobs/upd-hint/refs")).json());
    // sorted by ref
    expect(page.refs).toEqual([{ ref: hello, commit }, { ref: gone, commit: null }]);
  });
});
