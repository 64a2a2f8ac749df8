/**
 * Issue 10 in real workerd: configuration lookups that only see own properties, reads that
 * create no storage, well-formed request ids, 405 for a wrong method, the intake reply's public
 * page, failed builds without an artifact, who delivered a build, and the status page's 404.
 */
import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Outbox } from "../../durable/outbox.js";
import { signedHeaders } from "../../lib/standard-webhooks.js";
import { json, makeEvent, operator, postBuild, publisherStub } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];

/** The tables an AppPublisher has, read inside the object itself. */
async function tablesOf(repo: string, appId: string): Promise<string[]> {
  return runInDurableObject(publisherStub(repo, appId), (_instance, state) =>
    state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name),
  );
}

describe("item 2: Object.prototype names are unknown repos everywhere", () => {
  for (const name of PROTOTYPE_NAMES) {
    it(`${name}: intake, operator API, status page and callbacks answer 404 unknown_repo`, async () => {
      const intake = await postBuild(makeEvent({ repo: name }));
      expect(intake.status).toBe(404);
      expect((await json(intake)).error.code).toBe("unknown_repo");

      const path = encodeURIComponent(name);
      for (const [method, url] of [
        ["GET", `/v1/repos/${path}`],
        ["POST", `/v1/repos/${path}/pause`],
        ["POST", `/v1/repos/${path}/resume`],
        ["GET", `/v1/repos/${path}/apps/org.example.App`],
        ["GET", `/v1/repos/${path}/apps/org.example.App/builds/1`],
        ["POST", `/v1/repos/${path}/apps/org.example.App/builds/1/approve`],
      ] as const) {
        const res = await operator(method, url);
        expect(res.status, `${method} ${url}`).toBe(404);
        expect((await json(res)).error.code, `${method} ${url}`).toBe("unknown_repo");
      }

      const page = await SELF.fetch(`https://flatgate.test/status/${path}/org.example.App/1`, { headers: { accept: "application/json" } });
      expect(page.status).toBe(404);
      expect((await json(page)).error.code).toBe("unknown_repo");
      const html = await SELF.fetch(`https://flatgate.test/status/${path}/org.example.App/1`);
      expect(html.status).toBe(404);
      expect(html.headers.get("content-type")).toContain("text/html");
    });
  }

  it("a repo-master callback for `constructor` is 404 unknown_repo and reaches no coordinator", async () => {
    const now = new Date().toISOString();
    const body = JSON.stringify({ job_id: "job-proto-1", kind: "publish", repo: "constructor", state: "succeeded", log_tail: [], created_at: now, updated_at: now, runs: 1, result: { builds: [] } });
    const res = await SELF.fetch("https://flatgate.test/v1/repo-master/events", {
      method: "POST",
      headers: { "content-type": "application/json", ...(await signedHeaders(TEST_SECRETS.repoMaster, body)) },
      body,
    });
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe("unknown_repo");
  });

  it("a GitHub click on a check run whose external_id names `constructor` is ignored without reaching an AppPublisher", async () => {
    const examples = JSON.parse((env as unknown as { CHECK_RUN_EXAMPLES: string }).CHECK_RUN_EXAMPLES);
    const p = structuredClone(examples.requested_action);
    p.check_run = { ...p.check_run, external_id: "constructor/org.example.GhPhantom/1", app: { ...p.check_run.app, id: 4711 } };
    p.requested_action = { identifier: "publish" };
    p.installation = { id: 4242, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
    const body = JSON.stringify(p);
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(TEST_SECRETS.githubWebhook), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
    const res = await SELF.fetch("https://flatgate.test/v1/github", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": "check_run",
        "x-github-delivery": crypto.randomUUID(),
        "x-hub-signature-256": `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`,
      },
      body,
    });
    expect(res.status).toBe(200);
    expect((await json(res)).ignored).toContain("not a build of a configured repo");
    expect(await tablesOf("constructor", "org.example.GhPhantom")).toEqual([]);
  });

  it("the status page of `constructor` creates no AppPublisher storage", async () => {
    await SELF.fetch("https://flatgate.test/status/constructor/org.example.Phantom/1");
    expect(await tablesOf("constructor", "org.example.Phantom")).toEqual([]);
  });
});

describe("item 4: no read creates Durable Object storage", () => {
  it("status page, operator app view and build view of an unknown app leave its object without tables", async () => {
    const app = `org.example.Unread${Date.now()}`;
    expect((await SELF.fetch(`https://flatgate.test/status/stable/${app}/x`)).status).toBe(404);
    expect((await operator("GET", `/v1/repos/stable/apps/${app}`)).status).toBe(404);
    expect((await operator("GET", `/v1/repos/stable/apps/${app}/builds/x`)).status).toBe(404);
    expect((await operator("POST", `/v1/repos/stable/apps/${app}/builds/x/approve`)).status).toBe(404);
    expect(await tablesOf("stable", app)).toEqual([]);
  });

  it("an object first read, then written, stores and finds its build (the cached 'no tables' answer is not stale)", async () => {
    const e = makeEvent({ app_id: `org.example.ReadThenWrite${Date.now()}` });
    expect((await SELF.fetch(`https://flatgate.test/status/stable/${e.app_id}/${e.build_id}`)).status).toBe(404);
    expect((await postBuild(e, { id: `msg_rtw_${e.build_id}` })).status).toBe(202);
    expect((await postBuild(e, { id: `msg_rtw_${e.build_id}` })).status).toBe(200); // the delivery was stored too
    expect((await SELF.fetch(`https://flatgate.test/status/stable/${e.app_id}/${e.build_id}`)).status).toBe(200);
    expect((await tablesOf("stable", e.app_id)).sort()).toEqual(expect.arrayContaining(["builds", "deliveries", "outbox"]));
  });
});

describe("item 4: the lazy outbox table", () => {
  it("is created by the first effect, and survives a transaction that created it and rolled back", async () => {
    await runInDurableObject(publisherStub("stable", `org.example.Lazy${Date.now()}`), (_instance, state) => {
      const outbox = new Outbox<{ kind: string }>(state.storage.sql);
      expect(outbox.nextAt()).toBeUndefined();
      expect(outbox.due(Date.now())).toEqual([]);
      outbox.add([], 1);
      const tables = () => state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name);
      expect(tables()).not.toContain("outbox");
      expect(() =>
        state.storage.transactionSync(() => {
          outbox.add([{ kind: "lost" }], 1);
          throw new Error("boom");
        }),
      ).toThrow("boom");
      expect(tables()).not.toContain("outbox");
      expect(outbox.due(2)).toEqual([]);
      outbox.add([{ kind: "kept" }], 1);
      expect(outbox.due(2).map((i) => i.effect.kind)).toEqual(["kept"]);
    });
  });
});

describe("item 5: x-request-id is taken only when well-formed", () => {
  const idOf = async (value: string) => (await SELF.fetch("https://flatgate.test/v1/nope", { headers: { "x-request-id": value } })).headers.get("x-request-id")!;

  it("echoes a well-formed id of up to 128 characters", async () => {
    expect(await idOf("req-1.A_b:c")).toBe("req-1.A_b:c");
    const max = "a".repeat(128);
    expect(await idOf(max)).toBe(max);
  });

  it("generates one for a 40 KB value, a 129-character value or forbidden characters", async () => {
    for (const bad of ["x".repeat(40_000), "a".repeat(129), "has space", "semi;colon", "<script>"]) {
      const id = await idOf(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe("item 9: a known route with the wrong method is 405 with Allow", () => {
  const cases: [string, string, string][] = [
    // GET /v1/builds is the listing (issue 11), POST the intake
    ["PUT", "/v1/builds", "GET, HEAD, POST"],
    ["DELETE", "/v1/builds", "GET, HEAD, POST"],
    ["POST", "/metrics", "GET, HEAD"],
    ["DELETE", "/v1/github", "POST"],
    ["GET", "/v1/repo-master/events", "POST"],
    ["POST", "/status/stable/org.example.App/1", "GET, HEAD"],
    ["POST", "/healthz", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    it(`${method} ${path}`, async () => {
      const res = await SELF.fetch(`https://flatgate.test${path}`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      const body = await json(res);
      expect(body.error.code).toBe("method_not_allowed");
      expect(body.error.message).toContain(allow);
    });
  }

  it("is 405 on an operator route before any token is asked for", async () => {
    const res = await SELF.fetch("https://flatgate.test/v1/repos/stable", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const pause = await SELF.fetch("https://flatgate.test/v1/repos/stable/pause", { method: "GET" });
    expect(pause.status).toBe(405);
    expect(pause.headers.get("allow")).toBe("POST");
  });

  it("HEAD of a GET route is answered, not refused", async () => {
    expect((await SELF.fetch("https://flatgate.test/healthz", { method: "HEAD" })).status).toBe(200);
  });

  it("an unknown path is still 404 not_found", async () => {
    const res = await SELF.fetch("https://flatgate.test/v1/nope", { method: "PUT" });
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe("not_found");
  });
});

describe("item 12: the intake reply links the public status page", () => {
  it("build.status_page_url opens without a token", async () => {
    const e = makeEvent({ app_id: "org.example.PageUrl" });
    const { build } = await json(await postBuild(e));
    expect(build.status_page_url).toBe(`https://flatgate.test/status/stable/org.example.PageUrl/${e.build_id}`);
    const page = await SELF.fetch(build.status_page_url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("State: awaiting_approval");
  });
});

describe("item 13: a failed build needs no artifact", () => {
  it("accepts status failure without artifact as build_failed, and its page renders", async () => {
    const { artifact: _none, ...e } = makeEvent({ app_id: "org.example.NoArtifact", status: "failure" });
    const res = await postBuild(e);
    expect(res.status).toBe(202);
    const { build } = await json(res);
    expect(build.state).toBe("build_failed");
    const full = (await json(await operator("GET", `/v1/repos/stable/apps/org.example.NoArtifact/builds/${e.build_id}`))).build;
    expect(full.artifact).toBeUndefined();
    const page = await SELF.fetch(build.status_page_url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("State: build_failed");
  });

  it("still requires an artifact on success", async () => {
    const { artifact: _none, ...e } = makeEvent();
    const res = await postBuild(e);
    expect(res.status).toBe(422);
    expect((await json(res)).error.issues.map((i: { path: string }) => i.path)).toContain("artifact");
  });
});

describe("item 15: the received entry names the build worker, not who triggered the build", () => {
  it("records build-webhook (the unnamed shared secret) and keeps source.triggered_by", async () => {
    const e = makeEvent({ app_id: "org.example.Worker" });
    await postBuild(e);
    const { build } = await json(await operator("GET", `/v1/repos/stable/apps/org.example.Worker/builds/${e.build_id}`));
    expect(build.history[0]).toMatchObject({ to: "received", actor: { kind: "build_worker", name: "build-webhook" }, reason: "triggered by builder-bob" });
    expect(build.source.triggered_by).toBe("builder-bob");
    expect(build.publish_attempts).toBe(0);
  });
});

describe("item 16: the status page of an unknown build", () => {
  it("is an HTML 404 page, also for ids that could never exist", async () => {
    for (const path of ["/status/stable/org.example.Nobody/1", "/status/stable/not-an-id/1", "/status/nightly/org.example.App/1"]) {
      const res = await SELF.fetch(`https://flatgate.test${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toContain("text/html");
      expect(await res.text(), path).toContain("<h1>Not found</h1>");
    }
  });

  it("refreshes while the build can still change, and labels repo and branch", async () => {
    const e = makeEvent({ app_id: "org.example.Refresh" });
    const { build } = await json(await postBuild(e));
    const html = await (await SELF.fetch(build.status_page_url)).text();
    expect(html).toMatch(/<meta http-equiv="refresh" content="\d+">/);
    expect(html).toContain("<dt>Repository</dt><dd>stable</dd>");
    expect(html).toContain("<dt>Branch</dt><dd>stable</dd>");
    await operator("POST", `/v1/repos/stable/apps/org.example.Refresh/builds/${e.build_id}/reject`);
    expect(await (await SELF.fetch(build.status_page_url)).text()).not.toContain('http-equiv="refresh"');
  });
});
