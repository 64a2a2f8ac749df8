import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clearInstallationTokenCache } from "../../lib/github/app-auth.js";
import { projectCheckRun } from "../../lib/github/check-run.js";
import { toUpdate } from "../../lib/github/checks-api.js";
import { createGitHubClient, type GitHubClient } from "../../lib/github/client.js";
import { fakeGitHub, generateAppKey, sampleBuild, verifyJwt, type FakeGitHub } from "../fixtures/github-app.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

const key = await generateAppKey();
const APP_ID = 31337;

let server: RecordingServer;
let fake: FakeGitHub;
let client: GitHubClient;
let sleeps: number[];

beforeEach(async () => {
  clearInstallationTokenCache();
  server = await startRecordingServer();
  fake = fakeGitHub();
  server.handle(fake.handler);
  sleeps = [];
  client = createGitHubClient(
    { appId: APP_ID, privateKeyPkcs8: key.privateKeyPkcs8, apiUrl: server.url },
    { request: { sleep: async (ms) => void sleeps.push(ms), maxInlineWaitMs: 5_000 } },
  );
});
afterEach(() => server.close());

/** The requests after the token exchange. */
const apiCalls = () => server.requests.filter((r) => !r.path.startsWith("/app/"));

describe("check runs", () => {
  it("creates with POST /repos/{o}/{r}/check-runs, the installation token and the projected body", async () => {
    const body = projectCheckRun(sampleBuild(), { detailsUrl: "https://flatgate.example/status/x" });
    const res = await client.createCheckRun("example", "org.example.App", 4242, body);
    expect(res).toMatchObject({ ok: true, value: { id: 9001 } });
    const calls = apiCalls();
    expect(calls).toHaveLength(1);
    const req = calls[0]!;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/repos/example/org.example.App/check-runs");
    expect(req.headers["authorization"]).toBe(`Bearer ${fake.issued[0]}`);
    expect(req.headers["accept"]).toBe("application/vnd.github+json");
    expect(req.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(req.headers["user-agent"]).toBe("flatgate");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.json).toEqual(JSON.parse(JSON.stringify(body)));
  });

  it("updates with PATCH /repos/{o}/{r}/check-runs/{id} and no head_sha", async () => {
    const body = toUpdate(projectCheckRun(sampleBuild({ state: "publishing" })));
    const res = await client.updateCheckRun("example", "org.example.App", 4242, 777, body);
    expect(res).toMatchObject({ ok: true, value: { id: 777 } });
    const req = apiCalls()[0]!;
    expect(req.method).toBe("PATCH");
    expect(req.path).toBe("/repos/example/org.example.App/check-runs/777");
    expect(req.headers["authorization"]).toBe(`Bearer ${fake.issued[0]}`);
    expect(req.json).toEqual(JSON.parse(JSON.stringify(body)));
    expect(req.json).not.toHaveProperty("head_sha");
  });

  it("retries a GitHub 500 inline and then succeeds", async () => {
    await client.getPermission("example", "app", 4242, "warm-up"); // the token is cached now
    server.requests.length = 0;
    server.failNext(1, { status: 500, body: { message: "Server Error" } });
    const body = toUpdate(projectCheckRun(sampleBuild()));
    const res = await client.updateCheckRun("example", "app", 4242, 5, body);
    expect(res).toMatchObject({ ok: true, value: { id: 5 } });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "PATCH /repos/example/app/check-runs/5",
      "PATCH /repos/example/app/check-runs/5",
    ]);
    expect(server.requests[1]!.json).toEqual(server.requests[0]!.json);
    expect(server.requests[1]!.headers["authorization"]).toBe(`Bearer ${fake.issued[0]}`);
    expect(sleeps).toHaveLength(1);
  });

  it("gives up after the inline attempts with a retryable failure for the alarm", async () => {
    server.failNext(3, { status: 502, body: "Bad Gateway" });
    const res = await client.getRepoInstallation("example", "app");
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ kind: "http", status: 502, retryable: true, attempts: 3 });
    expect(server.requests).toHaveLength(3);
  });

  it("waits out a short 429 Retry-After inline", async () => {
    server.failNext(1, { status: 429, headers: { "retry-after": "2" }, body: { message: "slow down" } });
    const res = await client.getRepoInstallation("example", "app");
    expect(res).toEqual({ ok: true, value: 4242 });
    expect(sleeps).toEqual([2_000]);
  });

  it("returns a long 429 Retry-After as retryAfterMs instead of sleeping", async () => {
    server.failNext(1, { status: 429, headers: { "retry-after": "120" }, body: { message: "secondary rate limit" } });
    const res = await client.createCheckRun("example", "app", 4242, projectCheckRun(sampleBuild()));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error).toMatchObject({ status: 429, retryable: true, retryAfterMs: 120_000 });
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("treats a 403 with an exhausted x-ratelimit as retryable with the reset time", async () => {
    const reset = Math.ceil(Date.now() / 1000) + 600;
    server.failNext(1, {
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: { message: "API rate limit exceeded" },
    });
    const res = await client.getRepoInstallation("example", "app");
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.retryable).toBe(true);
      expect(res.error.retryAfterMs).toBeGreaterThan(590_000);
    }
  });

  it("finds our check run by head sha, name, App id and external_id", async () => {
    const build = sampleBuild();
    fake.existing.push(
      { id: 10, external_id: "stable/org.example.App/older", head_sha: build.source.sha, app_id: APP_ID },
      { id: 11, external_id: build.key, head_sha: build.source.sha, app_id: APP_ID },
    );
    const res = await client.findCheckRun("example", "org.example.App", 4242, { headSha: build.source.sha, name: "Publish to stable", externalId: build.key });
    expect(res).toMatchObject({ ok: true, value: { id: 11 } });
    const req = apiCalls()[0]!;
    expect(req.method).toBe("GET");
    expect(req.path).toBe(`/repos/example/org.example.App/commits/${build.source.sha}/check-runs`);
    expect(Object.fromEntries(req.query)).toEqual({ check_name: "Publish to stable", app_id: String(APP_ID), filter: "all", per_page: "100" });
  });
});

describe("installation and permission", () => {
  it("resolves the installation with the app JWT, not an installation token", async () => {
    expect(await client.getRepoInstallation("example", "org.example.App")).toEqual({ ok: true, value: 4242 });
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe("GET");
    expect(req.path).toBe("/repos/example/org.example.App/installation");
    const claims = await verifyJwt((req.headers["authorization"] ?? "").replace(/^Bearer /, ""), key.publicKey);
    expect(claims.iss).toBe(String(APP_ID));
  });

  it("says the App is not installed on a 404, not retryable", async () => {
    server.failNext(1, { status: 404, body: { message: "Not Found" } });
    const res = await client.getRepoInstallation("example", "elsewhere");
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.retryable).toBe(false);
      expect(res.error.message).toMatch(/not installed on example\/elsewhere/);
    }
  });

  it("returns role_name, custom roles included", async () => {
    fake.roles["mia"] = "maintain";
    fake.roles["rel"] = "release-manager";
    expect(await client.getPermission("example", "app", 4242, "mia")).toEqual({ ok: true, value: "maintain" });
    expect(await client.getPermission("example", "app", 4242, "rel")).toEqual({ ok: true, value: "release-manager" });
    const req = apiCalls()[0]!;
    expect(req.path).toBe("/repos/example/app/collaborators/mia/permission");
    expect(req.headers["authorization"]).toBe(`Bearer ${fake.issued[0]}`);
  });

  it("maps 404 to undefined: not a collaborator", async () => {
    expect(await client.getPermission("example", "app", 4242, "stranger")).toEqual({ ok: true, value: undefined });
  });

  it("fails on a response that is not a permission", async () => {
    server.handle((req) => (req.path.startsWith("/app/") ? fake.handler(req) : { body: { unexpected: true } }));
    const res = await client.getPermission("example", "app", 4242, "bob");
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.kind).toBe("parse");
  });
});
