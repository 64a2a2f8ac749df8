/**
 * Listing across apps and metrics (issue 11 §1, §3), in real workerd: `GET /v1/repos`,
 * `GET /v1/builds` over the per-repo BuildIndex that the AppPublishers keep current through their
 * outbox, out-of-order upserts, and `GET /metrics` read back with a Prometheus text parser.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { beforeAll, describe, expect, it } from "vitest";
import type { Build } from "../../lib/build.js";
import { indexEntry, type IndexEntry } from "../../lib/build-index/entry.js";
import type { BuildIndex } from "../../durable/build-index.js";
import { coordinatorStub, json, makeEvent, operator, postBuild, publisherStub } from "./helpers.js";
import { TEST_SECRETS } from "./test-env.js";

const METRICS_TOKEN = TEST_SECRETS.metricsToken;
const indexStub = (repo: string) => env.BUILD_INDEX.get(env.BUILD_INDEX.idFromName(repo));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the alarms of the given objects until `check` holds (the index is fed from their outboxes). */
async function until<T>(stubs: DurableObjectStub[], check: () => Promise<T | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check();
    if (v) return v;
    for (const s of stubs) await runDurableObjectAlarm(s);
    await sleep(40);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const list = async (query: string, token?: string) => operator("GET", `/v1/builds${query}`, undefined, token);

async function indexed(repo: string, app: string, buildId: string, state?: string) {
  return until([publisherStub(repo, app)], async () => {
    const body = await json(await list(`?repo=${repo}&app_id=${app}&limit=200`));
    const b = body.items.find((i: any) => i.build_id === buildId);
    return b && (!state || b.state === state) && b;
  }, `${repo}/${app}/${buildId} in the index${state ? ` as ${state}` : ""}`);
}

async function postIn(repo: string, app: string, buildId?: string, branch?: string) {
  const e = makeEvent({ repo, app_id: app, ...(buildId ? { build_id: buildId } : {}), ...(branch ? { branch } : repo === "beta" ? { branch: "beta" } : {}) });
  if (repo === "beta") e.artifact.refs = { [`app/${app}/x86_64/beta`]: "d".repeat(64) };
  expect((await postBuild(e)).status).toBe(202);
  return e;
}

describe("GET /v1/builds", () => {
  const app = "org.listing.Paged";
  const posted: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 7; i++) {
      // distinct received_at, so "newest first" is the order of posting; one branch each, so
      // none supersedes another
      posted.push((await postIn("quorum", app, `p${i}`, `br${i}`)).build_id);
      await sleep(3);
    }
    await until([publisherStub("quorum", app)], async () => (await json(await list(`?repo=quorum&app_id=${app}`))).items.length === 7, "7 builds indexed");
  });

  it("pages through every build, newest first, with an opaque cursor", async () => {
    const seen: any[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`?repo=quorum&app_id=${app}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const body = await json(res);
      sizes.push(body.items.length);
      seen.push(...body.items);
      cursor = body.next_cursor;
    } while (cursor);
    expect(sizes).toEqual([3, 3, 1]);
    expect(seen.map((b) => b.build_id)).toEqual([...posted].reverse());
    expect(seen[0]).toMatchObject({ key: `quorum/${app}/p6`, repo: "quorum", app_id: app, branch: "br6", state: "awaiting_approval", approvals: { count: 0, required: 2 } });
    expect(seen[0].status_url).toBe(`https://flatgate.test/v1/repos/quorum/apps/${app}/builds/p6`);
  });

  it("lists across repos and apps without filters, newest first, no build twice", async () => {
    const other = await postIn("delayed", "org.listing.Other");
    await indexed("delayed", "org.listing.Other", other.build_id);
    const seen: any[] = [];
    let cursor: string | null = null;
    do {
      const body: any = await json(await list(`?limit=4${cursor ? `&cursor=${cursor}` : ""}`));
      seen.push(...body.items);
      cursor = body.next_cursor;
    } while (cursor);
    const keys = seen.map((b) => b.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining([`delayed/org.listing.Other/${other.build_id}`, `quorum/${app}/p0`]));
    const times = seen.map((b) => Date.parse(b.received_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it("filters by state, app and branch", async () => {
    const res = await operator("POST", `/v1/repos/quorum/apps/${app}/builds/p3/cancel`, { reason: "listing test" });
    expect(res.status, await res.clone().text()).toBe(200);
    await indexed("quorum", app, "p3", "cancelled");
    const cancelled = await json(await list(`?repo=quorum&state=cancelled&app_id=${app}`));
    expect(cancelled.items.map((b: any) => b.build_id)).toEqual(["p3"]);
    const waiting = await json(await list(`?repo=quorum&state=awaiting_approval&app_id=${app}`));
    expect(waiting.items.map((b: any) => b.build_id)).toEqual(["p6", "p5", "p4", "p2", "p1", "p0"]);
    expect((await json(await list(`?repo=quorum&app_id=${app}&branch=br2`))).items.map((b: any) => b.build_id)).toEqual(["p2"]);
    expect((await json(await list(`?repo=quorum&branch=br3&state=cancelled`))).items.map((b: any) => b.build_id)).toEqual(["p3"]);
    expect((await json(await list(`?repo=quorum&app_id=${app}&branch=nosuch`))).items).toEqual([]);
  });

  it("bounds limit to 1..200 (default 50) and names the field on bad input", async () => {
    for (const [q, field] of [["?limit=0", "limit"], ["?limit=201", "limit"], ["?limit=x", "limit"], ["?state=bogus", "state"], ["?app_id=..", "app_id"], ["?nope=1", "(root)"]] as const) {
      const res = await list(q);
      expect(res.status, q).toBe(422);
      const body = await json(res);
      expect(body.error.code).toBe("invalid_payload");
      expect(body.error.issues[0].path, q).toBe(field);
    }
    expect((await list("?limit=200")).status).toBe(200);
  });

  it("refuses a tampered cursor, or one from other filters, with 422 naming cursor", async () => {
    const first = await json(await list(`?repo=quorum&app_id=${app}&limit=2`));
    const cursor: string = first.next_cursor;
    const flipped = `${cursor.slice(0, 5)}${cursor[5] === "A" ? "B" : "A"}${cursor.slice(6)}`;
    for (const q of [`?repo=quorum&app_id=${app}&cursor=${flipped}`, `?repo=quorum&app_id=${app}&cursor=!!`, `?repo=quorum&cursor=${cursor}`, `?repo=quorum&app_id=${app}&cursor=${btoa('{"v":1,"t":-1,"k":"x","f":"00000000"}')}`]) {
      const res = await list(q);
      expect(res.status, q).toBe(422);
      const body = await json(res);
      expect(body.error.issues[0].path).toBe("cursor");
      expect(body.error.message).toContain("cursor");
    }
  });

  it("answers unknown_repo 404 for an unconfigured repo (own properties only) and 401 without a token", async () => {
    for (const repo of ["nosuch", "constructor"]) {
      const res = await list(`?repo=${repo}`);
      expect(res.status).toBe(404);
      expect((await json(res)).error.code).toBe("unknown_repo");
    }
    expect((await SELFfetch("/v1/builds")).status).toBe(401);
    expect((await list("", "wrong-token-0123456789")).status).toBe(401);
    expect((await list("", METRICS_TOKEN)).status).toBe(401);
  });
});

describe("GET /v1/repos", () => {
  it("lists every configured repo with build counts by state, paused and repo master reachability", async () => {
    await postIn("quorum", "org.listing.Counted");
    await until([publisherStub("quorum", "org.listing.Counted")], async () => (await json(await list("?repo=quorum&app_id=org.listing.Counted"))).items.length === 1, "indexed");
    await operator("POST", "/v1/repos/delayed/pause", { reason: "listing test" });
    const res = await operator("GET", "/v1/repos");
    expect(res.status).toBe(200);
    const { repos } = await json(res);
    expect(repos.map((r: any) => r.repo).sort()).toEqual(Object.keys(JSON.parse(env.REPOS)).sort());
    const quorum = repos.find((r: any) => r.repo === "quorum");
    expect(quorum).toMatchObject({ approval: "required", paused: false, repo_master: { reachable: true } });
    expect(quorum.builds.by_state.awaiting_approval).toBeGreaterThanOrEqual(1);
    expect(quorum.builds.total).toBe(Object.values<number>(quorum.builds.by_state).reduce((a, n) => a + n, 0));
    expect(repos.find((r: any) => r.repo === "delayed")).toMatchObject({ paused: true, paused_reason: "listing test" });
    await operator("POST", "/v1/repos/delayed/resume");
    expect((await SELFfetch("/v1/repos")).status).toBe(401);
  });

  it("reading an index that has no builds creates no storage", async () => {
    const stub = indexStub("never-written");
    expect(await stub.list({ limit: 10 })).toEqual({ items: [], more: false });
    expect(await stub.counts()).toEqual({});
    const tables = await runInDurableObject(stub, (_i: BuildIndex, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray());
    expect(tables).toEqual([]);
  });
});

describe("the index stays current", () => {
  it("follows a build from awaiting_approval through approve to live", async () => {
    const app = "org.listing.Live";
    const e = await postIn("stable", app);
    await indexed("stable", app, e.build_id, "awaiting_approval");
    expect((await operator("POST", `/v1/repos/stable/apps/${app}/builds/${e.build_id}/approve`)).status).toBe(200);
    const live = await until([publisherStub("stable", app), coordinatorStub("stable")], async () => {
      const body = await json(await list(`?repo=stable&app_id=${app}`));
      return body.items[0]?.state === "live" && body.items[0];
    }, "live in the index", 25_000);
    expect(live.live_summary_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(live.approvals.count).toBe(1);
    expect((await json(await list(`?repo=stable&state=live&app_id=${app}`))).items).toHaveLength(1);
    expect((await json(await list(`?repo=stable&state=awaiting_approval&app_id=${app}`))).items).toHaveLength(0);
    // the check run id the GitHub sync learned reaches the index too (the fake GitHub creates one)
    const withRun = await until([publisherStub("stable", app)], async () => {
      const b = (await json(await list(`?repo=stable&app_id=${app}`))).items[0];
      return typeof b?.check_run_id === "number" && b;
    }, "check run id in the index");
    const stored = (await json(await operator("GET", `/v1/repos/stable/apps/${app}/builds/${e.build_id}`))).build;
    expect(withRun.check_run_id).toBe(stored.github.check_run_id);
  });

  it("an older upsert arriving after a newer one changes nothing and counts nothing twice", async () => {
    const repo = "ooo-test";
    const stub = indexStub(repo);
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const base: Build = {
      key: `${repo}/org.listing.Ooo/1`, repo, app_id: "org.listing.Ooo", branch: "stable", build_id: "1", state: "received",
      status: "success", source: { owner: "o", name: "n", sha: "a".repeat(40), ref: "refs/heads/main", triggered_by: "w" }, artifact: { url: "https://x.test/r", refs: {} },
      approval_mode: "required", approvals_required: 1, approvals: [], received_at: new Date(t0).toISOString(), updated_at: new Date(t0).toISOString(),
      publish_attempts: 0, history: [{ at: new Date(t0).toISOString(), kind: "transition", to: "received", actor: { kind: "build_worker", name: "w" } }],
    };
    const step = (b: Build, to: Build["state"], s: number): Build => {
      const at = new Date(t0 + s * 1000).toISOString();
      return { ...b, state: to, updated_at: at, history: [...b.history, { at, kind: "transition", from: b.state, to, actor: { kind: "system", name: "t" } }] };
    };
    const waiting = step(base, "awaiting_approval", 1);
    const approved = { ...step(waiting, "approved", 601), approvals: [{ by: "m", actor_kind: "operator" as const, at: new Date(t0 + 601_000).toISOString() }] };
    const entries: IndexEntry[] = [indexEntry(base), indexEntry(waiting), indexEntry(approved)];
    expect(await stub.upsert(entries[2]!)).toMatchObject({ ok: true, applied: true, counted: 3 });
    expect(await stub.upsert(entries[0]!)).toMatchObject({ ok: true, applied: false, counted: 3 });
    expect(await stub.upsert(entries[1]!)).toMatchObject({ ok: true, applied: false });
    expect(await stub.upsert(entries[2]!)).toMatchObject({ ok: true, applied: true, counted: 3 }); // a retry
    const page = await stub.list({ limit: 5 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ state: "approved", approvals: { count: 1, required: 1 } });
    const m = await stub.metrics();
    expect(m.transitions).toEqual({ received: 1, awaiting_approval: 1, approved: 1 });
    expect(m.histograms.approval_wait).toMatchObject({ count: 1, sum: 601 });
    // a check run id learned after the last transition is kept even if an upsert without it follows
    await stub.upsert({ ...entries[2]!, check_run_id: 77 });
    await stub.upsert(entries[2]!);
    expect((await stub.list({ limit: 1 })).items[0]!.check_run_id).toBe(77);
  });
});

describe("GET /metrics", () => {
  it("answers Prometheus text that parses back, to METRICS_TOKEN and to an operator token", async () => {
    const runs: string[] = [];
    for (const token of [METRICS_TOKEN, TEST_SECRETS.operatorToken]) {
      const res = await SELFfetch("/metrics", token);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const families = parsePrometheusTextFormat(text);
      const byName = new Map(families.map((f) => [f.name, f]));
      for (const [name, type] of [
        ["flatgate_builds", "GAUGE"],
        ["flatgate_build_transitions_total", "COUNTER"],
        ["flatgate_approval_wait_seconds", "HISTOGRAM"],
        ["flatgate_approval_to_live_seconds", "HISTOGRAM"],
        ["flatgate_repo_master_up", "GAUGE"],
      ] as const) {
        expect(byName.get(name)?.type, name).toBe(type);
        expect(byName.get(name)?.help.length, name).toBeGreaterThan(0);
      }
      const builds = byName.get("flatgate_builds")!.metrics;
      const quorumWaiting = builds.find((s) => s.labels?.repo === "quorum" && s.labels?.state === "awaiting_approval");
      expect(Number(quorumWaiting?.value)).toBeGreaterThanOrEqual(1);
      const received = byName.get("flatgate_build_transitions_total")!.metrics.find((s) => s.labels?.repo === "quorum" && s.labels?.state === "received");
      expect(Number(received?.value)).toBeGreaterThanOrEqual(7);
      // stable saw an approval after a wait and a build go live (the test above). The parser keeps
      // one histogram per family (it drops their labels), so it reads one repo's series at a time.
      const stable = parsePrometheusTextFormat(oneRepo(text, "stable"));
      for (const name of ["flatgate_approval_wait_seconds", "flatgate_approval_to_live_seconds"]) {
        const h = stable.find((f) => f.name === name)!.metrics[0]!;
        expect(Number(h.count), name).toBeGreaterThanOrEqual(1);
        expect(Number(h.sum), name).toBeGreaterThan(0);
        expect(h.buckets?.["+Inf"], name).toBe(h.count);
        // cumulative: never decreasing with le
        const counts = Object.entries(h.buckets!).sort(([a], [b]) => (a === "+Inf" ? 1 : b === "+Inf" ? -1 : Number(a) - Number(b))).map(([, v]) => Number(v));
        expect([...counts].sort((a, b) => a - b), name).toEqual(counts);
      }
      const up = byName.get("flatgate_repo_master_up")!.metrics.find((s) => s.labels?.repo === "stable");
      expect(up?.value).toBe("1");
      // the update that made the stable build live, from the coordinator's finished updates
      const updateRuns = byName.get("flatgate_update_repo_runs_total")!.metrics.find((s) => s.labels?.repo === "stable")!;
      expect(Number(updateRuns.value)).toBeGreaterThanOrEqual(1);
      runs.push(updateRuns.value!);
      const jobs = byName.get("flatgate_repo_master_jobs_total")!.metrics.find((s) => s.labels?.repo === "stable" && s.labels?.kind === "update-repo" && s.labels?.outcome === "ok");
      expect(Number(jobs?.value)).toBeGreaterThanOrEqual(1);
      const duration = parsePrometheusTextFormat(oneRepo(text, "stable").replace(/kind="update-repo",?/g, "").replace(/\{\}/g, "")).find((f) => f.name === "flatgate_repo_master_job_duration_seconds")!.metrics[0]!;
      expect(Number(duration.count)).toBeGreaterThanOrEqual(1);
    }
    // a second scrape does not count the same update runs again
    expect(runs[1]).toBe(runs[0]);
  });

  it("counts the purge of each summary update once, by provider and outcome", async () => {
    const fastlyOk = async () => {
      const text = await (await SELFfetch("/metrics", METRICS_TOKEN)).text();
      const family = parsePrometheusTextFormat(text).find((f) => f.name === "flatgate_purge_requests_total");
      expect(family?.type).toBe("COUNTER");
      return Number(family!.metrics.find((m) => m.labels?.repo === "stable" && m.labels?.provider === "fastly" && m.labels?.outcome === "ok")?.value ?? 0);
    };
    // the purge report is recorded after the update that made the stable build live
    const first = await until([coordinatorStub("stable")], async () => { const n = await fastlyOk(); return n >= 1 && n; }, "a counted purge");
    expect(await fastlyOk()).toBe(first);
  });

  it("GET /v1/repos and GET /metrics write nothing for a repo that has no builds", async () => {
    // `truth` is not used in this file: its coordinator and index have never been written
    expect((await operator("GET", "/v1/repos")).status).toBe(200);
    expect((await SELFfetch("/metrics", METRICS_TOKEN)).status).toBe(200);
    const names = (state: DurableObjectState) => state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name);
    expect(await runInDurableObject(indexStub("truth"), (_i: BuildIndex, state) => names(state))).toEqual([]);
    // the coordinator's own rows (meta, queue, jobs, updates) are created on its first write only
    const coordinatorTables = await runInDurableObject(coordinatorStub("truth"), (_i, state) => names(state));
    expect(coordinatorTables.filter((n) => ["meta", "queue", "jobs", "published", "updates", "update_builds"].includes(n))).toEqual([]);
  });

  it("refuses a missing or unknown token; METRICS_TOKEN opens nothing else", async () => {
    expect((await SELFfetch("/metrics")).status).toBe(401);
    expect((await SELFfetch("/metrics", "not-a-known-token-000")).status).toBe(401);
    expect((await SELFfetch("/v1/repos", METRICS_TOKEN)).status).toBe(401);
    expect((await SELFfetch("/v1/repos/stable", METRICS_TOKEN)).status).toBe(401);
  });
});

async function SELFfetch(path: string, token?: string): Promise<Response> {
  const { SELF } = await import("cloudflare:test");
  return SELF.fetch(`https://flatgate.test${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

/** The exposition with only the sample lines of one repo, its repo label dropped (HELP and TYPE kept). */
function oneRepo(text: string, repo: string): string {
  const label = `repo="${repo}"`;
  return text
    .split("\n")
    .filter((l) => l.startsWith("#") || l.includes(label))
    .map((l) => l.replace(`{${label}}`, "").replace(`${label},`, ""))
    .join("\n");
}
