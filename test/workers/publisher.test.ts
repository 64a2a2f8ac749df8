/** The AppPublisher through the operator API, in real workerd: actions, supersede, expiry, persistence. */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AppPublisher } from "../../durable/app-publisher.js";
import { driveAlarms, json, makeEvent, operator, postBuild, publisherStub } from "./helpers.js";

const buildPath = (e: { repo: string; app_id: string; build_id: string }) => `/v1/repos/${e.repo}/apps/${e.app_id}/builds/${e.build_id}`;

describe("operator API", () => {
  it("refuses requests without or with a wrong bearer token", async () => {
    const e = makeEvent();
    await postBuild(e);
    const none = await fetchNoAuth(buildPath(e));
    expect(none.status).toBe(401);
    expect((await json(none)).error.code).toBe("unauthorized");
    const wrong = await operator("GET", buildPath(e), undefined, "not-a-real-token-at-all");
    expect(wrong.status).toBe(401);
  });

  it("shows a build with its history and the app with its branches", async () => {
    const e = makeEvent({ app_id: "org.example.Viewer" });
    await postBuild(e);
    const res = await operator("GET", buildPath(e));
    expect(res.status).toBe(200);
    const { build } = await json(res);
    expect(build.state).toBe("awaiting_approval");
    expect(build.history.map((h: any) => [h.from, h.to])).toEqual([[undefined, "received"], ["received", "awaiting_approval"]]);
    expect(build.history[0]).toMatchObject({ actor: { kind: "build_worker", name: "build-webhook" }, reason: "triggered by builder-bob" });
    expect(build.status_url).toBe(`https://flatgate.test${buildPath(e)}`);
    const app = await json(await operator("GET", "/v1/repos/stable/apps/org.example.Viewer"));
    expect(app.branches.stable[0]).toMatchObject({ build_id: e.build_id, state: "awaiting_approval" });
  });

  it("404 for unknown builds, apps and repos; 422 for bad ids", async () => {
    expect((await json(await operator("GET", "/v1/repos/stable/apps/org.example.Nope/builds/1"))).error.code).toBe("not_found");
    expect((await json(await operator("GET", "/v1/repos/nightly/apps/org.example.Nope"))).error.code).toBe("unknown_repo");
    const bad = await operator("GET", "/v1/repos/stable/apps/not-an-id/builds/1");
    expect(bad.status).toBe(422);
    expect((await json(bad)).error.issues[0].path).toBe("app_id");
  });

  it("approve moves awaiting_approval on; a second approve is 409 invalid_transition with the state", async () => {
    const e = makeEvent({ app_id: "org.example.Approve" });
    await postBuild(e);
    const res = await operator("POST", `${buildPath(e)}/approve`, { reason: "looks good" });
    expect(res.status).toBe(200);
    const { build } = await json(res);
    expect(build.state).toBe("approved");
    expect(build.history.at(-1)).toMatchObject({ from: "awaiting_approval", to: "approved", actor: { kind: "operator", name: "alice" }, reason: "looks good" });
    const again = await operator("POST", `${buildPath(e)}/approve`);
    expect(again.status).toBe(409);
    const body = await json(again);
    expect(body.error.code).toBe("invalid_transition");
    expect(["approved", "queued", "publishing", "published", "live"]).toContain(body.error.state);
  });

  it("reject and cancel record who and why", async () => {
    const a = makeEvent({ app_id: "org.example.Reject" });
    await postBuild(a);
    const rejected = await json(await operator("POST", `${buildPath(a)}/reject`, { reason: "broken icon" }));
    expect(rejected.build).toMatchObject({ state: "rejected", reason: "broken icon" });
    const b = makeEvent({ app_id: "org.example.Cancel" });
    await postBuild(b);
    const cancelled = await json(await operator("POST", `${buildPath(b)}/cancel`));
    expect(cancelled.build.state).toBe("cancelled");
    expect(cancelled.build.history.at(-1).actor.name).toBe("alice");
  });

  it("validates the action body", async () => {
    const e = makeEvent();
    await postBuild(e);
    const res = await operator("POST", `${buildPath(e)}/approve`, { reason: 5 });
    expect(res.status).toBe(422);
    expect((await json(res)).error.issues[0].path).toBe("reason");
    const unknown = await operator("POST", `${buildPath(e)}/publish`);
    expect(unknown.status).toBe(422);
  });

  it("a failed build is build_failed", async () => {
    const e = makeEvent({ app_id: "org.example.Broken", status: "failure" });
    const res = await postBuild(e);
    expect((await json(res)).build.state).toBe("build_failed");
  });

  it("auto repos approve on arrival", async () => {
    const e = makeEvent({ repo: "beta", app_id: "org.example.Beta", branch: "beta" });
    e.artifact.refs = { "app/org.example.Beta/x86_64/beta": "c".repeat(64) };
    const body = await json(await postBuild(e));
    expect(["approved", "queued", "publishing", "published", "live"]).toContain(body.build.state);
  });
});

describe("public status page", () => {
  it("shows a build without a token, escaping what people typed", async () => {
    const { SELF } = await import("cloudflare:test");
    const e = makeEvent({ app_id: "org.example.Status" });
    await postBuild(e);
    await operator("POST", `${buildPath(e)}/reject`, { reason: "<script>alert(1)</script> broken" });
    const res = await SELF.fetch(`https://flatgate.test/status/stable/${e.app_id}/${e.build_id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("org.example.Status");
    expect(html).toContain("State: rejected");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; broken");
    expect(html).not.toContain("<script>");
    const missing = await SELF.fetch(`https://flatgate.test/status/stable/${e.app_id}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("text/html");
    expect(await missing.text()).toContain(`There is no build stable/${e.app_id}/nope`);
  });
});

describe("supersede", () => {
  it("a newer build of a branch supersedes older ones not yet publishing, in arrival order", async () => {
    const app = "org.example.Super";
    const b1 = makeEvent({ app_id: app, build_id: "100" });
    const b2 = makeEvent({ app_id: app, build_id: "101" });
    const other = makeEvent({ app_id: app, build_id: "102", branch: "beta", repo: "stable" });
    other.artifact.refs = { [`app/${app}/x86_64/beta`]: "d".repeat(64) };
    await postBuild(b1);
    await postBuild(other);
    await postBuild(b2);
    const one = (await json(await operator("GET", buildPath(b1)))).build;
    expect(one.state).toBe("superseded");
    expect(one.superseded_by).toBe(`stable/${app}/101`);
    expect(one.history.at(-1).reason).toBe(`superseded by stable/${app}/101`);
    expect((await json(await operator("GET", buildPath(b2)))).build.state).toBe("awaiting_approval");
    // another branch is untouched
    expect((await json(await operator("GET", buildPath(other)))).build.state).toBe("awaiting_approval");
    // a failed newer build supersedes nothing
    await postBuild(makeEvent({ app_id: app, build_id: "103", status: "failure" }));
    expect((await json(await operator("GET", buildPath(b2)))).build.state).toBe("awaiting_approval");
    const view = await json(await operator("GET", `/v1/repos/stable/apps/${app}`));
    expect(view.branches.stable.map((b: any) => b.build_id)).toEqual(["103", "101", "100"]);
  });
});

describe("expiry and persistence", () => {
  it("an approval that is not given within approval_ttl_hours expires (alarm)", async () => {
    const e = makeEvent({ app_id: "org.example.Expire" });
    await postBuild(e);
    const stub = publisherStub("stable", e.app_id);
    const key = `stable/${e.app_id}/${e.build_id}`;
    await runInDurableObject(stub, async (_instance: AppPublisher, state) => {
      const row = state.storage.sql.exec<{ data: string }>("SELECT data FROM builds WHERE key = ?", key).one();
      const build = JSON.parse(row.data);
      build.expires_at = new Date(Date.now() - 1000).toISOString();
      state.storage.sql.exec("UPDATE builds SET data = ? WHERE key = ?", JSON.stringify(build), key);
      await state.storage.setAlarm(Date.now());
    });
    const build = await driveAlarms(stub, async () => {
      const b = (await json(await operator("GET", buildPath(e)))).build;
      return b.state === "expired" && b;
    }, "expiry");
    expect(build.state).toBe("expired");
    expect(build.history.at(-1)).toMatchObject({ to: "expired", actor: { kind: "system", name: "expiry" } });
    expect((await operator("POST", `${buildPath(e)}/approve`)).status).toBe(409);
  });

  it("schedules the expiry alarm at expires_at", async () => {
    const e = makeEvent({ app_id: "org.example.ExpireAt" });
    await postBuild(e);
    const stub = publisherStub("stable", e.app_id);
    // once the outbox has drained, the only thing left to wake up for is the expiry
    await driveAlarms(stub, async () => (await stub.pendingEffects()).length === 0, "outbox drained");
    const alarm = await runInDurableObject(stub, (_i: AppPublisher, state) => state.storage.getAlarm());
    const build = (await json(await operator("GET", buildPath(e)))).build;
    expect(alarm).toBe(Date.parse(build.expires_at));
    expect(Date.parse(build.expires_at) - Date.parse(build.received_at)).toBe(3600_000);
  });

  it("delayed repos approve by themselves at auto_publish_at, and can be published sooner", async () => {
    const e = makeEvent({ repo: "delayed", app_id: "org.example.Delayed" });
    const body = await json(await postBuild(e));
    expect(body.build.state).toBe("awaiting_approval");
    const build = (await json(await operator("GET", buildPath(e)))).build;
    expect(Date.parse(build.auto_publish_at) - Date.parse(build.received_at)).toBe(1800_000);
    const stub = publisherStub("delayed", e.app_id);
    const key = build.key;
    await runInDurableObject(stub, async (_i: AppPublisher, state) => {
      const b = JSON.parse(state.storage.sql.exec<{ data: string }>("SELECT data FROM builds WHERE key = ?", key).one().data);
      b.auto_publish_at = new Date(Date.now() - 1).toISOString();
      state.storage.sql.exec("UPDATE builds SET data = ? WHERE key = ?", JSON.stringify(b), key);
      await state.storage.setAlarm(Date.now());
    });
    const after = await driveAlarms(stub, async () => {
      const b = (await json(await operator("GET", buildPath(e)))).build;
      return b.state !== "awaiting_approval" && b;
    }, "auto-publish");
    expect(after.history.find((h: any) => h.to === "approved").actor).toEqual({ kind: "system", name: "auto-publish" });
  });

  it("state survives a restart of the Durable Objects", async () => {
    const e = makeEvent({ app_id: "org.example.Persist" });
    await postBuild(e);
    await operator("POST", `${buildPath(e)}/reject`, { reason: "persist me" });
    await abortAllDurableObjects();
    const build = (await json(await operator("GET", buildPath(e)))).build;
    expect(build).toMatchObject({ state: "rejected", reason: "persist me" });
    const dup = await postBuild(e);
    expect(dup.status).toBe(200);
  });
});

async function fetchNoAuth(path: string) {
  const { SELF } = await import("cloudflare:test");
  return SELF.fetch(`https://flatgate.test${path}`);
}
