import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearInstallationTokenCache } from "../../lib/github/app-auth.js";
import { projectCheckRun } from "../../lib/github/check-run.js";
import { toUpdate } from "../../lib/github/checks-api.js";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.js";
import { syncCheckRun } from "../../lib/github/sync-check-run.js";
import { fakeGitHub, generateAppKey, sampleBuild, type FakeGitHub } from "../fixtures/github-app.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

const key = await generateAppKey();
const APP_ID = 31337;
const ctx = { detailsUrl: "https://flatgate.example/status/stable/org.example.App/build-42" };

let server: RecordingServer;
let fake: FakeGitHub;
let client: GitHubClient;

beforeEach(async () => {
  clearInstallationTokenCache();
  server = await startRecordingServer();
  fake = fakeGitHub({ installationId: 4242 });
  server.handle(fake.handler);
  client = createGitHubClient(
    { appId: APP_ID, privateKeyPkcs8: key.privateKeyPkcs8, apiUrl: server.url },
    { request: { sleep: async () => {}, maxInlineWaitMs: 5_000 } },
  );
});
afterEach(() => server.close());

const calls = () => server.requests.filter((r) => !r.path.startsWith("/app/")).map((r) => `${r.method} ${r.path}`);

describe("syncCheckRun", () => {
  it("first sync: resolves the installation, checks for an existing run, creates one", async () => {
    const build = sampleBuild();
    const res = await syncCheckRun(client, build, ctx);
    expect(res).toEqual({ ok: true, value: { installation_id: 4242, check_run_id: 9001, created: true } });
    expect(calls()).toEqual([
      "GET /repos/example/org.example.App/installation",
      `GET /repos/example/org.example.App/commits/${build.source.sha}/check-runs`,
      "POST /repos/example/org.example.App/check-runs",
    ]);
    const post = server.requests.at(-1)!;
    expect(post.headers["authorization"]).toBe(`Bearer ${fake.issued[0]}`);
    expect(post.json).toEqual(JSON.parse(JSON.stringify(projectCheckRun(build, ctx))));
    expect(post.json).toMatchObject({ status: "completed", conclusion: "action_required", external_id: build.key, head_sha: build.source.sha });
  });

  it("later syncs PATCH the stored check run with the new state", async () => {
    const build = sampleBuild({ state: "queued", github: { installation_id: 4242, check_run_id: 555 } });
    const res = await syncCheckRun(client, build, ctx);
    expect(res).toEqual({ ok: true, value: { installation_id: 4242, check_run_id: 555, created: false } });
    expect(calls()).toEqual(["PATCH /repos/example/org.example.App/check-runs/555"]);
    const patch = server.requests.at(-1)!;
    expect(patch.headers["authorization"]).toBe(`Bearer ${fake.issued[0]}`);
    expect(patch.json).toEqual(JSON.parse(JSON.stringify(toUpdate(projectCheckRun(build, ctx)))));
    expect(patch.json).toMatchObject({ status: "in_progress", actions: [] });
  });

  it("adopts the run a previous attempt created but did not record, instead of making a second one", async () => {
    const build = sampleBuild({ github: { installation_id: 4242 } });
    fake.existing.push({ id: 777, external_id: build.key, head_sha: build.source.sha, app_id: APP_ID });
    const res = await syncCheckRun(client, build, ctx);
    expect(res).toEqual({ ok: true, value: { installation_id: 4242, check_run_id: 777, created: false } });
    expect(calls()).toEqual([
      `GET /repos/example/org.example.App/commits/${build.source.sha}/check-runs`,
      "PATCH /repos/example/org.example.App/check-runs/777",
    ]);
  });

  it("creates a new run when the stored one is gone (404 on PATCH)", async () => {
    server.handle((req) => (req.method === "PATCH" ? { status: 404, body: { message: "Not Found" } } : fake.handler(req)));
    const build = sampleBuild({ state: "live", github: { installation_id: 4242, check_run_id: 12 } });
    const res = await syncCheckRun(client, build, ctx);
    expect(res).toEqual({ ok: true, value: { installation_id: 4242, check_run_id: 9001, created: true } });
    expect(calls()).toEqual(["PATCH /repos/example/org.example.App/check-runs/12", "POST /repos/example/org.example.App/check-runs"]);
  });

  it("GitHub 500 then success within one sync", async () => {
    const build = sampleBuild({ state: "approved", github: { installation_id: 4242, check_run_id: 555 } });
    await client.getPermission("example", "x", 4242, "warm-up");
    server.requests.length = 0;
    server.failNext(1, { status: 500, body: { message: "boom" } });
    expect(await syncCheckRun(client, build, ctx)).toMatchObject({ ok: true, value: { check_run_id: 555 } });
    expect(calls()).toEqual(["PATCH /repos/example/org.example.App/check-runs/555", "PATCH /repos/example/org.example.App/check-runs/555"]);
  });

  it("a long 429 comes back retryable with retryAfterMs for the alarm", async () => {
    server.failNext(1, { status: 429, headers: { "retry-after": "90" }, body: { message: "rate limited" } });
    const res = await syncCheckRun(client, sampleBuild(), ctx);
    expect(res).toEqual({
      ok: false,
      error: expect.objectContaining({ step: "installation", retryable: true, retryAfterMs: 90_000, status: 429 }),
    });
    expect(server.requests).toHaveLength(1);
  });

  it("an App not installed on the repo is not retryable", async () => {
    server.failNext(1, { status: 404, body: { message: "Not Found" } });
    const res = await syncCheckRun(client, sampleBuild(), ctx);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error).toMatchObject({ step: "installation", retryable: false, status: 404 });
      expect(res.error.message).toMatch(/not installed on example\/org.example.App/);
    }
  });

  it("a 422 from GitHub on create is not retryable", async () => {
    server.handle((req) => (req.method === "POST" && !req.path.startsWith("/app/") ? { status: 422, body: { message: "Validation Failed" } } : fake.handler(req)));
    const res = await syncCheckRun(client, sampleBuild({ github: { installation_id: 4242 } }), ctx);
    expect(res).toEqual({ ok: false, error: expect.objectContaining({ step: "create", retryable: false, status: 422 }) });
  });
});
