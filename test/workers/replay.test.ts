/**
 * Replays across the pipeline (issue 10, items 3, 6, 7) in real workerd, with real signatures:
 * Standard Webhooks for intake and callbacks, @octokit/webhooks `sign` for GitHub. And the
 * ReplayLedger object itself: lazy tables, expiry, pruning in bounded batches.
 */
import { Webhooks } from "@octokit/webhooks";
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../lib/canonical-json.js";
import { LEDGER_WINDOWS_MS, ledgerKey, ledgerShard, sha256Hex } from "../../lib/replay/ledger-keys.js";
import { signedHeaders } from "../../lib/standard-webhooks.js";
import { ReplayStore } from "../../durable/replay-store.js";
import { control, json, makeEvent, operator, postBuild, publisherStub, saas } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uid = () => Math.random().toString(36).slice(2, 10);
const ledger = (name: string) => env.REPLAY_LEDGER.get(env.REPLAY_LEDGER.idFromName(name));

/** Records `key` in its real shard, as a route would have just before dying. */
async function reserve(namespace: "build" | "github" | "callback", id: string, digest: string) {
  const key = ledgerKey(namespace, id);
  return ledger(await ledgerShard(key)).check(key, digest, LEDGER_WINDOWS_MS[namespace]);
}

async function buildOf(e: ReturnType<typeof makeEvent>) {
  return operator("GET", `/v1/repos/${e.repo}/apps/${e.app_id}/builds/${e.build_id}`);
}

describe("intake: one webhook-id, one message, pipeline-wide (item 3)", () => {
  it("the same webhook-id with a different body is 409 webhook_id_reused and stores nothing", async () => {
    const id = `msg_reused_${uid()}`;
    const first = makeEvent({ app_id: `org.example.Reuse${uid()}` });
    expect((await postBuild(first, { id })).status).toBe(202);
    const second = makeEvent({ app_id: first.app_id });
    const res = await postBuild(second, { id });
    expect(res.status).toBe(409);
    const body = await json(res);
    expect(body.error.code).toBe("webhook_id_reused");
    expect(body.error.message).toContain(id);
    expect((await buildOf(second)).status).toBe(404);
    const app = await json(await operator("GET", `/v1/repos/stable/apps/${first.app_id}`));
    expect(app.branches.stable.map((b: any) => b.build_id)).toEqual([first.build_id]);
  });

  it("is not per app: the id of one app's build cannot carry another app's build", async () => {
    const id = `msg_cross_app_${uid()}`;
    const first = makeEvent({ app_id: `org.example.First${uid()}` });
    expect((await postBuild(first, { id })).status).toBe(202);
    const other = makeEvent({ app_id: `org.example.Other${uid()}` });
    const res = await postBuild(other, { id });
    expect(res.status).toBe(409);
    expect((await json(res)).error.code).toBe("webhook_id_reused");
    expect((await buildOf(other)).status).toBe(404);
  });

  it("the same webhook-id with the same body stays 200 duplicate, also re-serialized", async () => {
    const id = `msg_same_${uid()}`;
    const e = makeEvent({ app_id: `org.example.Same${uid()}` });
    expect((await postBuild(e, { id })).status).toBe(202);
    const again = await postBuild(e, { id });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ duplicate: true, build: { key: `stable/${e.app_id}/${e.build_id}` } });
    // the digest is of the event, not of its bytes: key order and whitespace do not make a new message
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(e).reverse()), null, 2);
    const res = await postBuild(null, { id, raw: reordered });
    expect(res.status).toBe(200);
    expect((await json(res)).duplicate).toBe(true);
  });

  it("a crash after the ledger reserved the id and before the build was stored loses nothing", async () => {
    const id = `msg_crash_${uid()}`;
    const e = makeEvent({ app_id: `org.example.Crash${uid()}` });
    // the first attempt got as far as the ledger, then died
    expect((await reserve("build", id, await sha256Hex(canonicalJson(e)))).kind).toBe("new");
    expect((await buildOf(e)).status).toBe(404);
    // the sender's retry of the same message creates the build
    const retry = await postBuild(e, { id });
    expect(retry.status).toBe(202);
    expect((await json(retry)).build.key).toBe(`stable/${e.app_id}/${e.build_id}`);
    expect((await postBuild(e, { id })).status).toBe(200);
  });
});

describe("GitHub: one signed body, one effect (item 6)", () => {
  const webhooks = new Webhooks({ secret: TEST_SECRETS.githubWebhook });
  const examples = () => JSON.parse((env as unknown as { CHECK_RUN_EXAMPLES: string }).CHECK_RUN_EXAMPLES);

  beforeAll(async () => {
    await control(saas(), "roles", { "maintainer-mia": "maintain", "admin-ada": "admin" });
  });

  function clickBody(e: ReturnType<typeof makeEvent>, sender: string): string {
    const p = structuredClone(examples().requested_action);
    p.check_run = { ...p.check_run, external_id: `${e.repo}/${e.app_id}/${e.build_id}`, head_sha: e.source.sha, app: { ...p.check_run.app, id: 4711 } };
    p.requested_action = { identifier: "publish" };
    p.repository = { ...p.repository, name: e.source.name, full_name: `${e.source.owner}/${e.source.name}`, owner: { ...p.repository.owner, login: e.source.owner } };
    p.sender = { ...p.sender, login: sender };
    p.installation = { id: 4242, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
    return JSON.stringify(p);
  }

  async function deliver(body: string, delivery: string) {
    return SELF.fetch("https://flatgate.test/v1/github", {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "check_run", "x-github-delivery": delivery, "x-hub-signature-256": await webhooks.sign(body) },
      body,
    });
  }

  async function quorumBuild() {
    const e = makeEvent({ repo: "quorum", app_id: `org.example.Replay${uid()}` } as Partial<ReturnType<typeof makeEvent>>);
    expect((await postBuild(e)).status).toBe(202);
    return e;
  }

  const stored = async (e: ReturnType<typeof makeEvent>) => (await publisherStub(e.repo, e.app_id).getBuild(`${e.repo}/${e.app_id}/${e.build_id}`))!;

  it("the same signed click under new X-GitHub-Delivery ids answers 200 replayed and changes nothing", async () => {
    const e = await quorumBuild();
    const body = clickBody(e, "maintainer-mia");
    const first = await deliver(body, `d-${uid()}`);
    expect(await json(first)).toMatchObject({ ok: true, outcome: "recorded" });
    const after = await stored(e);
    const lookups = async () => ((await (await fetch(`${saas()}/__control/requests`)).json()) as any[]).filter((r) => r.path.endsWith(`/${e.app_id}/collaborators/maintainer-mia/permission`)).length;
    const lookupsBefore = await lookups();
    for (const delivery of [`d-${uid()}`, `d-${uid()}`]) {
      const res = await deliver(body, delivery);
      expect(res.status).toBe(200);
      const reply = await json(res);
      expect(reply).toMatchObject({ ok: true, outcome: "replayed" });
      expect(reply.ignored).toContain("X-GitHub-Delivery");
    }
    const now = await stored(e);
    expect(now.history).toHaveLength(after.history.length);
    expect(now.approvals).toHaveLength(1);
    // refused before the role lookup: a replay costs no GitHub API call
    expect(await lookups()).toBe(lookupsBefore);
    // a different click (another sender: another body) still counts
    expect(await json(await deliver(clickBody(e, "admin-ada"), `d-${uid()}`))).toMatchObject({ ok: true, outcome: "changed", state: "approved" });
  });

  it("a redelivery (same X-GitHub-Delivery) stays a no-op", async () => {
    const e = await quorumBuild();
    const body = clickBody(e, "maintainer-mia");
    const delivery = `d-${uid()}`;
    expect((await json(await deliver(body, delivery))).outcome).toBe("recorded");
    expect(await json(await deliver(body, delivery))).toMatchObject({ ok: true, outcome: "duplicate" });
    expect((await stored(e)).approvals).toHaveLength(1);
  });

  it("a redelivery still takes effect if the first attempt died after the ledger", async () => {
    const e = await quorumBuild();
    const body = clickBody(e, "maintainer-mia");
    const delivery = `d-${uid()}`;
    expect((await reserve("github", await sha256Hex(body), delivery)).kind).toBe("new");
    expect(await json(await deliver(body, delivery))).toMatchObject({ ok: true, outcome: "recorded" });
    expect((await stored(e)).approvals).toHaveLength(1);
  });

  it("a click that failed on our side (502) is not taken for a replay when clicked again", async () => {
    const e = await quorumBuild();
    const body = clickBody(e, "maintainer-mia");
    await control(saas(), "fail", { prefix: `/github/repos/flathub/${e.app_id}/collaborators/`, reply: { status: 500, body: { message: "boom" } }, times: 2 });
    const failed = await deliver(body, `d-${uid()}`);
    expect(failed.status).toBe(502);
    expect((await json(failed)).error.code).toBe("upstream_error");
    expect(await json(await deliver(body, `d-${uid()}`))).toMatchObject({ ok: true, outcome: "recorded" });
  });
});

describe("repo-master callbacks refuse replays (item 7)", () => {
  function jobBody(jobId: string, state = "succeeded") {
    const at = new Date().toISOString();
    return JSON.stringify({ job_id: jobId, kind: "update-repo", repo: "delayed", state, log_tail: [], created_at: at, updated_at: at, runs: 1 });
  }

  const post = (body: string, headers: Record<string, string>) =>
    SELF.fetch("https://flatgate.test/v1/repo-master/events", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  it("the same signed callback twice: 200, then 401 replayed", async () => {
    const body = jobBody(`job-${uid()}`);
    const headers = await signedHeaders(TEST_SECRETS.repoMaster, body);
    expect((await post(body, headers)).status).toBe(200);
    const again = await post(body, headers);
    expect(again.status).toBe(401);
    const err = await json(again);
    expect(err.error.code).toBe("replayed");
    expect(err.error.message).toContain(headers["webhook-id"]);
  });

  it("a used webhook-id with another (validly signed) body is refused too", async () => {
    const id = `msg_cb_${uid()}`;
    const first = jobBody(`job-${uid()}`);
    expect((await post(first, await signedHeaders(TEST_SECRETS.repoMaster, first, { id }))).status).toBe(200);
    const second = jobBody(`job-${uid()}`);
    const res = await post(second, await signedHeaders(TEST_SECRETS.repoMaster, second, { id }));
    expect(res.status).toBe(401);
    expect((await json(res)).error.code).toBe("replayed");
  });

  it("a callback we did not handle does not use up its id: the agent's retry gets the same answer", async () => {
    const at = new Date().toISOString();
    const body = JSON.stringify({ job_id: `job-${uid()}`, kind: "update-repo", repo: "nightly", state: "running", log_tail: [], created_at: at, updated_at: at, runs: 1 });
    const headers = await signedHeaders(TEST_SECRETS.repoMaster, body);
    expect((await post(body, headers)).status).toBe(404);
    expect((await post(body, headers)).status).toBe(404);
  });
});

describe("the ReplayLedger object", () => {
  it("decides new, duplicate, reused; peek records nothing; no table until the first write", async () => {
    const stub = ledger(`test-decide-${uid()}`);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    await runInDurableObject(stub, async (instance, state) => {
      expect(await instance.size()).toBe(0);
      await instance.forget("k", "a");
      expect(await instance.peek("k", "a")).toEqual({ kind: "new" });
      expect(state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'ledger'").toArray()).toEqual([]);
      expect(await instance.check("k", "a", 60_000)).toEqual({ kind: "new" });
      expect((await instance.peek("k", "b")).kind).toBe("reused");
      expect((await instance.check("k", "a", 60_000)).kind).toBe("duplicate");
      expect((await instance.check("k", "b", 60_000)).kind).toBe("reused");
      expect(await instance.size()).toBe(1);
      await instance.forget("k", "b"); // not the row's digest: kept
      expect((await instance.check("k", "a", 60_000)).kind).toBe("duplicate");
      await instance.forget("k", "a");
      expect((await instance.check("k", "b", 60_000)).kind).toBe("new");
    });
  });

  it("an expired entry is new again; the alarm prunes every expired row and then waits for the next expiry", async () => {
    const stub = ledger(`test-prune-${uid()}`);
    await runInDurableObject(stub, async (instance, state) => {
      for (let i = 0; i < 1200; i++) await instance.check(`k${i}`, "d", 1);
      await instance.check("kept", "d", 3_600_000);
      await sleep(5);
      expect((await instance.check("k0", "other", 1)).kind).toBe("new");
      expect(await state.storage.getAlarm()).not.toBeNull();
    });
    for (let i = 0; i < 50 && (await stub.size()) > 1; i++) {
      await runDurableObjectAlarm(stub);
      await sleep(20);
    }
    expect(await stub.size()).toBe(1);
    await runInDurableObject(stub, async (instance, state) => {
      expect((await instance.check("kept", "d", 1)).kind).toBe("duplicate");
      // nothing else is due before the kept row expires
      expect(await state.storage.getAlarm()).toBeGreaterThan(Date.now() + 60_000);
    });
  });

  it("one prune deletes a bounded batch, oldest first", async () => {
    await runInDurableObject(ledger(`test-batch-${uid()}`), (_instance, state) => {
      const store = new ReplayStore(state.storage.sql);
      const now = Date.now();
      for (let i = 0; i < 1200; i++) store.put(`k${i}`, { digest: "d", first_seen: now - 10_000, expires_at: now - 5_000 + i });
      store.put("later", { digest: "d", first_seen: now, expires_at: now + 60_000 });
      store.prune(now, 500);
      expect(store.count()).toBe(701);
      expect(store.get("k499")).toBeUndefined();
      expect(store.get("k500")).toBeDefined();
      store.prune(now, 500);
      store.prune(now, 500);
      expect(store.count()).toBe(1);
      expect(store.nextExpiry()).toBe(now + 60_000);
    });
  });

  it("spreads keys over 16 shards", async () => {
    const shards = new Set(await Promise.all(Array.from({ length: 200 }, (_, i) => ledgerShard(`build:msg_${i}`))));
    expect([...shards].sort()).toEqual([..."0123456789abcdef"].map((d) => `shard-${d}`));
  });
});
