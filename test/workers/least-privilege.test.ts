/**
 * Least privilege (issue 13) through the public API in real workerd: trusted publishers with
 * tokens from a local OIDC issuer (test/fixtures/oidc-issuer.ts), scoped build credentials next
 * to the unscoped secrets, and operator roles per repo.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BuildEvent } from "../../lib/build-event.js";
import { control, json, makeEvent, operator, postBuild } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

const issuerBase = () => (env as unknown as { OIDC_ISSUER_URL: string }).OIDC_ISSUER_URL;
const SHA = "0123456789abcdef0123456789abcdef01234567";
const now = () => Math.floor(Date.now() / 1000);

async function mint(claims: Record<string, unknown> = {}, opts: { issuer?: string; kid?: string; key?: "other" } = {}): Promise<string> {
  const res = await control(issuerBase(), "mint", { issuer: opts.issuer ?? "main", claims, ...(opts.kid ? { kid: opts.kid } : {}), ...(opts.key ? { key: opts.key } : {}) });
  return res.token as string;
}

function gnomeEvent(overrides: Partial<BuildEvent> = {}): BuildEvent {
  const e = makeEvent({ app_id: "org.gnome.Maps", ...overrides });
  return { ...e, source: { ...e.source, owner: "flathub", name: "org.gnome.Maps", sha: SHA, ...(overrides.source ?? {}) } };
}

function postOidc(event: unknown, token: string, authorization = `Bearer ${token}`): Promise<Response> {
  return SELF.fetch("https://flatgate.test/v1/builds", { method: "POST", headers: { "content-type": "application/json", authorization }, body: JSON.stringify(event) });
}

/** A refusal: its status and code, the claim it names, and never the token (nor its signature part). */
async function refused(res: Response, token: string, status: number, code: string, claim?: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  const body = JSON.parse(text);
  expect(body.error.code).toBe(code);
  if (claim) expect(body.error.message).toContain(claim);
  expect(text).not.toContain(token);
  expect(text).not.toContain(token.split(".")[2]!);
  return body;
}

async function history(e: BuildEvent, token = TEST_SECRETS.operatorToken) {
  const res = await operator("GET", `/v1/repos/${e.repo}/apps/${e.app_id}/builds/${e.build_id}`, undefined, token);
  return { status: res.status, body: await json(res) };
}

describe("trusted publishers (GitHub Actions OIDC)", () => {
  it("accepts a good token and records the publisher and the workflow run as the build worker", async () => {
    const token = await mint();
    const e = gnomeEvent();
    const res = await postOidc(e, token);
    expect(res.status, await res.clone().text()).toBe(202);
    const { body } = await history(e);
    expect(body.build.history[0]).toMatchObject({
      to: "received",
      actor: { kind: "build_worker", name: "gnome-ci", url: "https://github.com/flathub/org.gnome.Maps/actions/runs/9876543210" },
    });
    const page = await (await SELF.fetch(`https://flatgate.test/status/stable/org.gnome.Maps/${e.build_id}`)).text();
    expect(page).toContain('<a href="https://github.com/flathub/org.gnome.Maps/actions/runs/9876543210">gnome-ci</a>');
  });

  it("uses a jti once: a replay is 401 replayed, with the same body or another", async () => {
    const token = await mint();
    const e = gnomeEvent();
    expect((await postOidc(e, token)).status).toBe(202);
    await refused(await postOidc(e, token), token, 401, "replayed", "jti");
    await refused(await postOidc(gnomeEvent(), token), token, 401, "replayed", "jti");
  });

  it("refuses a bad signature and a key that is not the issuer's", async () => {
    const good = await mint();
    const [h, p] = good.split(".");
    const forged = await mint({}, { key: "other" });
    const tampered = `${h}.${p}.${forged.split(".")[2]}`;
    await refused(await postOidc(gnomeEvent(), tampered), tampered, 401, "invalid_token", "signature");
    await refused(await postOidc(gnomeEvent(), forged), forged, 401, "invalid_token", "kid");
  });

  it("refuses a wrong audience, an expired token, nbf and iat in the future; accepts skew within 60 s", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ aud: "someone-else" }, "aud"],
      [{ iat: now() - 400, nbf: now() - 400, exp: now() - 61 - 5 }, "exp"],
      [{ nbf: now() + 300 }, "nbf"],
      [{ iat: now() + 300, exp: now() + 600 }, "iat"],
      [{ iat: now() - 10, exp: now() + 2 * 3600 }, "exp"],
      [{ jti: null }, "jti"],
    ];
    for (const [claims, claim] of cases) {
      const token = await mint(claims);
      const body = await refused(await postOidc(gnomeEvent(), token), token, 401, "invalid_token", claim);
      expect(body.error.claim).toBe(claim);
    }
    const skewed = await mint({ iat: now() - 330, nbf: now() - 330, exp: now() - 30 });
    expect((await postOidc(gnomeEvent(), skewed)).status).toBe(202);
  });

  it("refuses a wrong repository_id, owner, workflow, environment and a ref not allowed", async () => {
    const kde = { repository: "flathub/org.kde.Games", repository_id: "789", ref: "refs/tags/v1.0", job_workflow_ref: "flathub/org.kde.Games/.github/workflows/release.yml@refs/tags/v1.0" };
    const cases: [Record<string, unknown>, string][] = [
      [{ repository_id: "124" }, "repository_id"],
      [{ repository_owner_id: "457" }, "repository_owner_id"],
      [{ job_workflow_ref: "flathub/org.gnome.Maps/.github/workflows/other.yml@refs/heads/master" }, "job_workflow_ref"],
      [{ ref: "refs/heads/feature", job_workflow_ref: "flathub/org.gnome.Maps/.github/workflows/build.yml@refs/heads/feature" }, "ref"],
      [{ ...kde, environment: "staging" }, "environment"],
      [kde, "environment"],
    ];
    for (const [claims, claim] of cases) {
      const token = await mint(claims);
      const body = await refused(await postOidc(gnomeEvent(), token), token, 401, "invalid_token", claim);
      expect(body.error.claim).toBe(claim);
    }
    // the same publisher with the right environment, and a ref matched by a `*` pattern
    const kdeOk = await mint({ ...kde, environment: "publish" });
    expect((await postOidc(makeEvent({ app_id: "org.kde.Games", source: { ...gnomeEvent().source, name: "org.kde.Games" } }), kdeOk)).status).toBe(202);
    const branch = await mint({ ref: "refs/heads/branch/48", job_workflow_ref: "flathub/org.gnome.Maps/.github/workflows/build.yml@refs/heads/branch/48" });
    expect((await postOidc(gnomeEvent(), branch)).status).toBe(202);
  });

  it("refuses pull_request tokens with 403", async () => {
    for (const event_name of ["pull_request", "pull_request_target"]) {
      const token = await mint({ event_name, ref: "refs/pull/7/merge", job_workflow_ref: "flathub/org.gnome.Maps/.github/workflows/build.yml@refs/pull/7/merge" });
      await refused(await postOidc(gnomeEvent(), token), token, 403, "forbidden", "event_name");
    }
  });

  it("refuses an app or repo outside the publisher's scope, a sha or source repo mismatch (403 forbidden_app), storing nothing", async () => {
    const token = await mint();
    const outApp = makeEvent({ app_id: "org.gnome.Weather" });
    await refused(await postOidc({ ...outApp, source: { ...outApp.source, sha: SHA } }, token), token, 403, "forbidden_app", "org.gnome.Weather");
    await refused(await postOidc(gnomeEvent({ repo: "quorum" }), token), token, 403, "forbidden_app", "quorum");
    await refused(await postOidc(gnomeEvent({ source: { ...gnomeEvent().source, sha: "f".repeat(40) } }), token), token, 403, "forbidden_app", "source.sha");
    await refused(await postOidc(gnomeEvent({ source: { ...gnomeEvent().source, name: "org.gnome.Weather" } }), token), token, 403, "forbidden_app", "repository");
    // none of the refusals used up the token
    expect((await postOidc(gnomeEvent(), token)).status).toBe(202);
  });

  it("refuses malformed Authorization headers without echoing them", async () => {
    const token = await mint();
    for (const header of [`Basic ${token}`, `Bearer ${token} extra`, "Bearer not-a-jwt", `Bearer ${"a".repeat(9000)}.b.c`]) {
      await refused(await postOidc(gnomeEvent(), token, header), token, 401, "invalid_token");
    }
  });

  it("picks up a rotated key (a new kid), refetching the JWKS at most once per cooldown", async () => {
    const before = await control(issuerBase(), "hits", { issuer: "rotating" });
    const first = await mint({ repository_id: "321" }, { issuer: "rotating" });
    expect((await postOidc(gnomeEvent(), first)).status).toBe(202);
    // made-up kids right away: refused, and at most one refetch between them
    for (let i = 0; i < 3; i++) {
      const t = await mint({ repository_id: "321" }, { issuer: "rotating", key: "other", kid: `made-up-${i}` });
      await refused(await postOidc(gnomeEvent(), t), t, 401, "invalid_token", "kid");
    }
    const mid = await control(issuerBase(), "hits", { issuer: "rotating" });
    expect(mid.jwks - before.jwks).toBeLessThanOrEqual(2);
    await control(issuerBase(), "rotate", { issuer: "rotating" });
    await new Promise((r) => setTimeout(r, 1_100)); // OIDC_JWKS_COOLDOWN_SECONDS = 1 in the tests
    const second = await mint({ repository_id: "321" }, { issuer: "rotating" });
    expect((await postOidc(gnomeEvent(), second)).status).toBe(202);
    const after = await control(issuerBase(), "hits", { issuer: "rotating" });
    expect(after.jwks - mid.jwks).toBe(1);
  });

  it("answers a clear 503 when the issuer is down, and stores nothing", async () => {
    const token = await mint({ repository_id: "999" }, { issuer: "down" });
    const e = gnomeEvent();
    const body = await refused(await postOidc(e, token), token, 503, "issuer_unavailable", "/down");
    expect(body.error.message).toContain("nothing was stored");
    expect((await history(e)).status).toBe(404);
  });
});

describe("scoped build credentials", () => {
  it("accepts an event in scope (either rotation entry) and records the credential as the build worker", async () => {
    for (const secret of [TEST_SECRETS.scopedGnome, TEST_SECRETS.scopedGnomeRotated]) {
      const e = makeEvent({ app_id: "org.gnome.Maps" });
      expect((await postBuild(e, { secret })).status).toBe(202);
      const { body } = await history(e);
      expect(body.build.history[0].actor).toEqual({ kind: "build_worker", name: "buildbot-gnome" });
    }
  });

  it("refuses an app or repo outside the scope with 403 forbidden_app naming the credential and the app", async () => {
    const outApp = makeEvent({ app_id: "org.example.App" });
    let res = await postBuild(outApp, { secret: TEST_SECRETS.scopedGnome });
    expect(res.status).toBe(403);
    let body = await json(res);
    expect(body.error).toMatchObject({ code: "forbidden_app", credential: "buildbot-gnome", app_id: "org.example.App" });
    expect(body.error.message).toContain("buildbot-gnome");
    expect(body.error.message).toContain("org.example.App");
    res = await postBuild(makeEvent({ app_id: "org.gnome.Maps", repo: "beta" }), { secret: TEST_SECRETS.scopedGnome });
    expect(res.status).toBe(403);
    body = await json(res);
    expect(body.error.message).toContain("beta");
    // the refusal did not bind the webhook-id or store the build
    expect((await history(outApp)).status).toBe(404);
  });

  it("keeps BUILD_WEBHOOK_SECRETS working as unscoped secrets", async () => {
    const e = makeEvent({ app_id: "org.kde.Anything", repo: "beta" });
    expect((await postBuild(e)).status).toBe(202);
    const { body } = await history(e);
    expect(body.build.history[0].actor).toEqual({ kind: "build_worker", name: "build-webhook" });
  });
});

describe("operator roles", () => {
  const build = async (repo = "stable") => {
    const e = makeEvent({ repo });
    expect((await postBuild(e)).status).toBe(202);
    return { e, path: `/v1/repos/${repo}/apps/${e.app_id}/builds/${e.build_id}` };
  };
  const forbidden = async (res: Response, needed: string) => {
    expect(res.status).toBe(403);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: "forbidden", needed_role: needed });
    expect(body.error.message).toContain(needed);
  };

  it("a viewer reads but neither approves nor pauses, and only on its repos", async () => {
    const { path } = await build();
    const t = TEST_SECRETS.viewerToken;
    expect((await operator("GET", path, undefined, t)).status).toBe(200);
    expect((await operator("GET", "/v1/repos/stable", undefined, t)).status).toBe(200);
    await forbidden(await operator("POST", `${path}/approve`, {}, t), "approver");
    await forbidden(await operator("POST", "/v1/repos/stable/pause", {}, t), "admin");
    await forbidden(await operator("GET", "/v1/repos/beta", undefined, t), "viewer");
  });

  it("an approver approves, rejects and cancels but does not pause", async () => {
    const t = TEST_SECRETS.approverToken;
    const a = await build();
    const res = await operator("POST", `${a.path}/approve`, {}, t);
    expect(res.status).toBe(200);
    expect((await json(res)).build.history.at(-1).actor).toMatchObject({ kind: "operator", name: "alan" });
    const b = await build();
    expect((await operator("POST", `${b.path}/reject`, { reason: "no" }, t)).status).toBe(200);
    await forbidden(await operator("POST", "/v1/repos/stable/pause", {}, t), "admin");
    await forbidden(await operator("POST", "/v1/repos/stable/resume", {}, t), "admin");
    const q = await build("quorum");
    await forbidden(await operator("POST", `${q.path}/approve`, {}, t), "approver");
  });

  it("an admin (token stored as a SHA-256 digest) does everything on its repos only", async () => {
    const t = TEST_SECRETS.adminAdaToken;
    const q = await build("quorum");
    expect((await operator("GET", q.path, undefined, t)).status).toBe(200);
    expect((await operator("POST", "/v1/repos/quorum/pause", { reason: "maintenance" }, t)).status).toBe(200);
    expect((await operator("POST", "/v1/repos/quorum/resume", {}, t)).status).toBe(200);
    expect((await operator("POST", `${q.path}/cancel`, {}, t)).status).toBe(200);
    const q2 = await build("quorum");
    const approved = await operator("POST", `${q2.path}/approve`, {}, t);
    expect(approved.status).toBe(200);
    expect((await json(approved)).build.history.at(-1).actor).toMatchObject({ kind: "operator", name: "ada" });
    await forbidden(await operator("POST", "/v1/repos/stable/pause", {}, t), "admin");
    const s = await build();
    await forbidden(await operator("GET", s.path, undefined, t), "viewer");
  });

  it("OPERATOR_TOKENS keep meaning admin on every repo; unknown tokens are 401", async () => {
    const s = await build("delayed");
    expect((await operator("GET", s.path)).status).toBe(200);
    expect((await operator("POST", "/v1/repos/delayed/pause", {})).status).toBe(200);
    expect((await operator("POST", "/v1/repos/delayed/resume", {})).status).toBe(200);
    const res = await operator("GET", s.path, undefined, "not-a-known-token-0123456789");
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("not-a-known-token-0123456789");
  });
});
