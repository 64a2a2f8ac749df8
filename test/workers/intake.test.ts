/** `POST /v1/builds` in real workerd: signatures, every error code, duplicates, supersede. */
import { describe, expect, it } from "vitest";
import { signedHeaders } from "../../lib/standard-webhooks.js";
import { json, makeEvent, operator, postBuild } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

describe("signatures", () => {
  it("accepts a valid signature and answers 202 with the build", async () => {
    const e = makeEvent();
    const res = await postBuild(e);
    expect(res.status).toBe(202);
    const body = await json(res);
    expect(body.build).toEqual({
      key: `stable/org.example.App/${e.build_id}`,
      state: "awaiting_approval",
      status_url: `https://flatgate.test/v1/repos/stable/apps/org.example.App/builds/${e.build_id}`,
      status_page_url: `https://flatgate.test/status/stable/org.example.App/${e.build_id}`,
    });
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("accepts the rotated second secret", async () => {
    expect((await postBuild(makeEvent(), { secret: TEST_SECRETS.buildRotated })).status).toBe(202);
  });

  it("refuses a wrong secret", async () => {
    const res = await postBuild(makeEvent(), { secret: "whsec_" + btoa("another-secret-of-32-bytes-long!") });
    expect(res.status).toBe(401);
    expect((await json(res)).error.code).toBe("invalid_signature");
  });

  it("refuses stale and future timestamps", async () => {
    for (const skew of [-301_000, 301_000]) {
      const res = await postBuild(makeEvent(), { now: Date.now() + skew });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe("stale_timestamp");
    }
  });

  it("refuses missing headers", async () => {
    for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const res = await postBuild(makeEvent(), { headers: { [h]: null } });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe("missing_signature");
    }
  });

  it("refuses malformed signature headers", async () => {
    for (const sig of ["v1", "v2,abc", "garbage", "v1,!!!notbase64"]) {
      const res = await postBuild(makeEvent(), { headers: { "webhook-signature": sig } });
      expect(res.status).toBe(401);
      expect((await json(res)).error.code).toBe("invalid_signature");
    }
    const res = await postBuild(makeEvent(), { headers: { "webhook-timestamp": "yesterday" } });
    expect((await json(res)).error.code).toBe("invalid_signature");
  });

  it("accepts one good signature among several", async () => {
    const e = makeEvent();
    const body = JSON.stringify(e);
    const good = await signedHeaders(TEST_SECRETS.build, body);
    const res = await postBuild(e, { id: good["webhook-id"], headers: { "webhook-timestamp": good["webhook-timestamp"], "webhook-signature": `v1,AAAA ${good["webhook-signature"]}` } });
    expect(res.status).toBe(202);
  });
});

describe("validation", () => {
  it("400 invalid_json for a signed non-JSON body", async () => {
    const res = await postBuild(null, { raw: "{not json" });
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe("invalid_json");
  });

  it("413 payload_too_large above 256 KiB, before anything else", async () => {
    const res = await postBuild(null, { raw: "x".repeat(256 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe("payload_too_large");
  });

  it("404 unknown_repo", async () => {
    const res = await postBuild(makeEvent({ repo: "nightly" }));
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe("unknown_repo");
  });

  const cases: [string, (e: any) => void, string][] = [
    ["app id with a slash", (e) => (e.app_id = "org/example/App"), "app_id"],
    ["app id with ..", (e) => (e.app_id = "org..example.App"), "app_id"],
    ["app id too long", (e) => (e.app_id = `org.example.${"a".repeat(250)}`), "app_id"],
    ["two-element app id", (e) => (e.app_id = "example.App"), "app_id"],
    ["short git sha", (e) => (e.source.sha = "abc123"), "source.sha"],
    ["short commit", (e) => (e.artifact.refs = { "app/org.example.App/x86_64/stable": "abc" }), "artifact.refs.app/org.example.App/x86_64/stable"],
    ["ref of another app", (e) => (e.artifact.refs = { "app/org.other.App/x86_64/stable": "a".repeat(64) }), "artifact.refs.app/org.other.App/x86_64/stable"],
    ["ref of another branch", (e) => (e.artifact.refs = { "app/org.example.App/x86_64/beta": "a".repeat(64) }), "artifact.refs.app/org.example.App/x86_64/beta"],
    ["malformed ref", (e) => (e.artifact.refs = { "app/org.example.App/x86_64": "a".repeat(64) }), "artifact.refs.app/org.example.App/x86_64"],
    ["unknown field", (e) => (e.extra = 1), "(root)"],
    ["unknown nested field", (e) => (e.source.extra = 1), "source"],
    ["bad status", (e) => (e.status = "ok"), "status"],
    ["missing build_id", (e) => delete e.build_id, "build_id"],
    ["no refs on success", (e) => (e.artifact.refs = {}), "artifact.refs"],
    ["bad log url", (e) => (e.build_log_url = "ftp://x"), "build_log_url"],
  ];
  for (const [name, mutate, path] of cases) {
    it(`422 invalid_payload: ${name}`, async () => {
      const e: any = makeEvent();
      mutate(e);
      const res = await postBuild(e);
      expect(res.status).toBe(422);
      const body = await json(res);
      expect(body.error.code).toBe("invalid_payload");
      expect(body.error.issues.map((i: any) => i.path)).toContain(path);
      expect(body.error.message).toContain(body.error.issues[0].path);
    });
  }

  it("accepts runtime extensions of the app (Locale, Debug)", async () => {
    const e = makeEvent();
    e.artifact.refs["runtime/org.example.App.Locale/x86_64/stable"] = "b".repeat(64);
    expect((await postBuild(e)).status).toBe(202);
  });
});

describe("duplicates", () => {
  it("answers 200 duplicate for a repeated webhook-id", async () => {
    const e = makeEvent();
    const first = await postBuild(e, { id: "msg_repeat_1" });
    expect(first.status).toBe(202);
    const again = await postBuild(e, { id: "msg_repeat_1" });
    expect(again.status).toBe(200);
    const body = await json(again);
    expect(body.duplicate).toBe(true);
    expect(body.build.key).toBe(`stable/org.example.App/${e.build_id}`);
  });

  it("10 concurrent copies make exactly one build", async () => {
    const e = makeEvent({ app_id: "org.example.Concurrent" });
    const results = await Promise.all(Array.from({ length: 10 }, () => postBuild(e, { id: "msg_concurrent" })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(9);
    const app = await json(await operator("GET", "/v1/repos/stable/apps/org.example.Concurrent"));
    expect(app.branches.stable).toHaveLength(1);
  });

  it("the same build under a new webhook-id is the existing build; a different body is 409", async () => {
    const e = makeEvent();
    expect((await postBuild(e)).status).toBe(202);
    const resent = await postBuild(e);
    expect(resent.status).toBe(200);
    expect((await json(resent)).duplicate).toBe(true);
    const changed = { ...e, source: { ...e.source, triggered_by: "someone-else" } };
    const conflict = await postBuild(changed);
    expect(conflict.status).toBe(409);
    expect((await json(conflict)).error.code).toBe("conflicting_build");
  });
});
