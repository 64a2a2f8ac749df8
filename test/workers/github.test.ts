/**
 * Check-run approval end to end in workerd (issue 4): real @octokit/webhooks-examples payloads,
 * re-serialized and signed for real, against a local stand-in for api.github.com that records
 * the exact requests the pipeline makes.
 */
import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { control, controlGet, driveAlarms, json, makeEvent, operator, postBuild, publisherStub, saas } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

const examples = () => JSON.parse((env as unknown as { CHECK_RUN_EXAMPLES: string }).CHECK_RUN_EXAMPLES);

async function hubSignature(body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(TEST_SECRETS.githubWebhook), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body)));
  return `sha256=${[...mac].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

type Event = ReturnType<typeof makeEvent>;

function clickPayload(e: Event, opts: { identifier?: string; sender: string; appId?: number; action?: "requested_action" | "rerequested" }) {
  const action = opts.action ?? "requested_action";
  const p = structuredClone(examples()[action]);
  p.check_run = { ...p.check_run, external_id: `${e.repo}/${e.app_id}/${e.build_id}`, head_sha: e.source.sha, app: { ...p.check_run.app, id: opts.appId ?? 4711 } };
  if (action === "requested_action") p.requested_action = { identifier: opts.identifier ?? "publish" };
  p.repository = { ...p.repository, name: e.source.name, full_name: `${e.source.owner}/${e.source.name}`, owner: { ...p.repository.owner, login: e.source.owner } };
  p.sender = { ...p.sender, login: opts.sender };
  p.installation = { id: 4242, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" };
  return p;
}

async function deliver(payload: unknown, opts: { event?: string; delivery?: string; signature?: string | null } = {}) {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-github-event": opts.event ?? "check_run",
    "x-github-delivery": opts.delivery ?? crypto.randomUUID(),
  };
  const sig = opts.signature === undefined ? await hubSignature(body) : opts.signature;
  if (sig !== null) headers["x-hub-signature-256"] = sig;
  return SELF.fetch("https://flatgate.test/v1/github", { method: "POST", headers, body });
}

async function requests(): Promise<any[]> {
  return controlGet(saas(), "requests");
}

async function checkRunCalls(e: Event) {
  const key = `${e.repo}/${e.app_id}/${e.build_id}`;
  const all = await requests();
  const created = all.filter((r) => r.method === "POST" && r.path.endsWith("/check-runs") && r.json?.external_id === key);
  return { created, all };
}

async function build(e: Event) {
  return (await json(await operator("GET", `/v1/repos/${e.repo}/apps/${e.app_id}/builds/${e.build_id}`))).build;
}

/** Runs the publisher's alarm until `check` holds and no check-run sync is pending any more. */
async function untilSynced(e: Event, check: (b: any) => boolean, what: string) {
  const stub = publisherStub(e.repo, e.app_id);
  return driveAlarms(stub, async () => {
    const b = await build(e);
    const syncing = (await stub.pendingEffects()).some((p) => p.effect.kind === "github");
    return check(b) && !syncing && b;
  }, what);
}

async function newBuild(overrides: Partial<Event> = {}) {
  const e = makeEvent({ app_id: `org.example.Gh${Math.random().toString(36).slice(2, 8)}`, ...overrides });
  expect((await postBuild(e)).status).toBe(202);
  await untilSynced(e, (b) => b.github?.check_run_id !== undefined, "check run created");
  return e;
}

const patchesOf = (all: any[], id: number) => all.filter((r) => r.method === "PATCH" && r.path.endsWith(`/check-runs/${id}`));

beforeAll(async () => {
  await control(saas(), "roles", { "maintainer-mia": "maintain", "reader-rob": "read", "builder-bob": "write", "admin-ada": "admin" });
});

describe("check run lifecycle", () => {
  it("creates one check run with Publish/Reject buttons on the source commit", async () => {
    const e = await newBuild();
    const { created } = await checkRunCalls(e);
    expect(created).toHaveLength(1);
    const req = created[0];
    expect(req.path).toBe(`/github/repos/flathub/${e.app_id}/check-runs`);
    expect(req.headers.authorization).toBe("Bearer ghs_test1_4242".replace("ghs_test1", req.headers.authorization.slice(7).split("_4242")[0]));
    expect(req.headers.authorization).toMatch(/^Bearer ghs_test\d+_4242$/);
    expect(req.json).toMatchObject({
      name: "Publish to stable",
      head_sha: e.source.sha,
      external_id: `stable/${e.app_id}/${e.build_id}`,
      details_url: `https://flatgate.test/status/stable/${e.app_id}/${e.build_id}`,
      status: "completed",
      conclusion: "action_required",
    });
    expect(req.json.actions.map((a: any) => a.identifier)).toEqual(["publish", "reject"]);
    expect(req.json.output.summary).toContain(e.app_id);
  });

  it("Publish by a maintainer approves and moves the check run to in_progress", async () => {
    const e = await newBuild();
    const res = await deliver(clickPayload(e, { sender: "maintainer-mia" }));
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ ok: true, outcome: "changed" });
    const b = await untilSynced(e, (b) => b.state !== "awaiting_approval", "approved");
    expect(b.history.find((h: any) => h.to === "approved").actor).toEqual({ kind: "github", name: "maintainer-mia", role: "maintain" });
    const { all } = await checkRunCalls(e);
    await untilSynced(e, () => true, "sync");
    const patches = patchesOf(await requests(), b.github.check_run_id);
    expect(patches.length).toBeGreaterThan(0);
    expect(patches.some((p) => p.json.status === "in_progress" && p.json.actions.length === 0)).toBe(true);
    // the role was asked for the clicker on the build's source repository
    expect(all.some((r) => r.path === `/github/repos/flathub/${e.app_id}/collaborators/maintainer-mia/permission`)).toBe(true);
  });

  it("Reject cancels the check run with who and why", async () => {
    const e = await newBuild();
    await deliver(clickPayload(e, { sender: "admin-ada", identifier: "reject" }));
    const b = await untilSynced(e, (b) => b.state === "rejected", "rejected");
    await untilSynced(e, () => true, "sync");
    const last = patchesOf(await requests(), b.github.check_run_id).at(-1);
    expect(last.json).toMatchObject({ status: "completed", conclusion: "cancelled" });
    expect(JSON.stringify(last.json.output)).toContain("admin-ada");
  });

  for (const [who, why] of [
    ["stranger-sam", "not a collaborator"],
    ["reader-rob", "role read"],
    ["builder-bob", "prevent_self_approval"],
  ] as const) {
    it(`refuses a click by ${who} (${why}): no state change, recorded, shown on the check run`, async () => {
      const e = await newBuild();
      const res = await deliver(clickPayload(e, { sender: who }));
      expect(res.status).toBe(200);
      expect((await json(res)).outcome).toBe("forbidden");
      const b = await untilSynced(e, (b) => b.history.some((h: any) => h.kind === "refused"), "refusal recorded");
      expect(b.state).toBe("awaiting_approval");
      const refusal = b.history.find((h: any) => h.kind === "refused");
      expect(refusal.actor.name).toBe(who);
      expect(refusal.reason).toContain(why === "role read" ? "role read" : why);
      await untilSynced(e, () => true, "sync");
      const last = patchesOf(await requests(), b.github.check_run_id).at(-1);
      expect(JSON.stringify(last.json.output)).toContain(who);
      expect(last.json.conclusion).toBe("action_required");
    });
  }

  it("ignores another App's check runs, unknown events and pings; refuses bad signatures", async () => {
    const e = await newBuild();
    const other = await json(await deliver(clickPayload(e, { sender: "maintainer-mia", appId: 999 })));
    expect(other.ok).toBe(true);
    expect(other.ignored).toContain("not ours");
    expect((await build(e)).state).toBe("awaiting_approval");
    expect((await deliver({ zen: "Keep it logically awesome.", hook_id: 1 }, { event: "ping" })).status).toBe(200);
    expect((await json(await deliver({ action: "opened" }, { event: "issues" }))).ignored).toBeTruthy();
    const forged = await deliver(clickPayload(e, { sender: "maintainer-mia" }), { signature: "sha256=" + "0".repeat(64) });
    expect(forged.status).toBe(401);
    expect((await json(forged)).error.code).toBe("invalid_signature");
    expect((await deliver(clickPayload(e, { sender: "maintainer-mia" }), { signature: null })).status).toBe(401);
    expect((await build(e)).state).toBe("awaiting_approval");
  });

  it("a redelivery has no second effect", async () => {
    const e = await newBuild({ repo: "quorum" } as Partial<Event>);
    const payload = clickPayload(e, { sender: "maintainer-mia" });
    const first = await deliver(payload, { delivery: "delivery-quorum-1" });
    expect((await json(first)).outcome).toBe("recorded");
    const again = await deliver(payload, { delivery: "delivery-quorum-1" });
    expect((await json(again)).outcome).toBe("duplicate");
    const b = await build(e);
    expect(b.approvals).toHaveLength(1);
    expect(b.state).toBe("awaiting_approval");
    // a second distinct approver completes the quorum of 2
    await deliver(clickPayload(e, { sender: "admin-ada" }));
    const done = await untilSynced(e, (b) => b.state !== "awaiting_approval", "approved by quorum");
    expect(done.approvals.map((a: any) => a.by)).toEqual(["maintainer-mia", "admin-ada"]);
  });

  it("GitHub answering 500 delays the check run but loses nothing", async () => {
    await control(saas(), "fail", { prefix: "/github/repos/", reply: { status: 500, body: { message: "boom" } }, times: 3 });
    const e = makeEvent({ app_id: "org.example.GhOutage" });
    expect((await postBuild(e)).status).toBe(202); // intake does not wait for GitHub
    const b = await untilSynced(e, (b) => b.github?.check_run_id !== undefined, "check run after the outage");
    const pending = await publisherStub(e.repo, e.app_id).pendingEffects();
    expect(pending.filter((p) => p.effect.kind === "github")).toEqual([]);
    expect(b.github.check_run_id).toBeGreaterThan(9000);
  });

  it("429 with Retry-After is honoured: the sync is rescheduled, not dropped", async () => {
    await control(saas(), "fail", { prefix: "/github/repos/", reply: { status: 429, headers: { "retry-after": "1" }, body: { message: "secondary rate limit" } }, times: 2 });
    const e = makeEvent({ app_id: "org.example.GhLimited" });
    await postBuild(e);
    const started = Date.now();
    const b = await untilSynced(e, (b) => b.github?.check_run_id !== undefined, "check run after the rate limit");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(b.github.check_run_id).toBeGreaterThan(9000);
  });

  it("supersede updates the old check run to neutral, pointing at the newer build", async () => {
    const app = `org.example.GhSuper${Date.now()}`;
    const first = await newBuild({ app_id: app, build_id: "1" });
    const old = await build(first);
    const second = makeEvent({ app_id: app, build_id: "2" });
    await postBuild(second);
    await untilSynced(first, (b) => b.state === "superseded", "sync");
    const last = patchesOf(await requests(), old.github.check_run_id).at(-1);
    expect(last.json).toMatchObject({ status: "completed", conclusion: "neutral" });
    expect(JSON.stringify(last.json.output)).toContain(`stable/${app}/2`);
  });
});
