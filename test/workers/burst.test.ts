/**
 * The coordinator's storage invariants under a burst (issue 9), in real workerd with the
 * stand-in agent: BURST builds queued while the repo is paused, then resumed. Every row stays
 * small whatever the queue length, the database grows by a bounded amount per build, the repo
 * view stays under 256 KiB, and every build is published exactly once and goes live. Slower
 * than the other files (a per-test timeout), still part of `npm test`.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RepoCoordinator } from "../../durable/repo-coordinator.js";
import { control, coordinatorStub, driveAlarms, fakeAgent, json, makeEvent, operator, postBuild } from "./helpers.js";

/** queued straight into the coordinator: the storage invariants at a Flathub-sized queue */
const QUEUED = 3249;
/** through intake, the AppPublishers and the stand-in agent, to live */
const BURST = 40;

async function sizes() {
  return runInDurableObject(coordinatorStub("burst"), async (_i: RepoCoordinator, ctx) => {
    const sql = ctx.storage.sql;
    const max = (q: string) => sql.exec<{ n: number | null }>(q).one().n ?? 0;
    const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray().map((r) => r.name);
    return {
      dbBytes: sql.databaseSize,
      largestRow: Math.max(
        max("SELECT MAX(length(data)) AS n FROM meta"),
        max("SELECT MAX(length(artifact) + length(build_key) + length(app_id)) AS n FROM queue"),
        tables.includes("outbox") ? max("SELECT MAX(length(effect)) AS n FROM outbox") : 0,
      ),
      queued: max("SELECT COUNT(*) AS n FROM queue"),
    };
  });
}

describe("a burst of approvals", () => {
  it(`${QUEUED} queued builds: every row small, bounded bytes per build, a bounded view`, async () => {
    await operator("POST", "/v1/repos/burst/pause", { reason: "collect the burst" });
    const stub = coordinatorStub("burst");
    const empty = await sizes();
    for (let i = 0; i < QUEUED; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, QUEUED - i) }, (_, j) => {
        const e = makeEvent({ repo: "burst", app_id: `org.example.Queued${i + j}`, branch: "stable", build_id: "q" });
        return stub.enqueue("burst", { build_key: `burst/${e.app_id}/q`, app_id: e.app_id, artifact: e.artifact! });
      }));
    }
    const full = await sizes();
    expect(full.queued).toBe(QUEUED);
    expect(full.largestRow).toBeLessThan(2048);
    expect((full.dbBytes - empty.dbBytes) / QUEUED).toBeLessThan(8192);
    const body = await (await operator("GET", "/v1/repos/burst")).text();
    expect(body.length).toBeLessThan(256 * 1024);
    expect(JSON.parse(body)).toMatchObject({ queue_count: QUEUED, paused: true });
    expect(JSON.parse(body).queue).toHaveLength(50);
    // the AppPublishers know none of these builds: clear them so the next test starts empty
    await runInDurableObject(stub, async (_i: RepoCoordinator, ctx) => {
      ctx.storage.sql.exec("DELETE FROM queue");
    });
    await operator("POST", "/v1/repos/burst/resume");
  }, 600_000);

  it(`${BURST} builds through intake: each published once, all live, few summary updates`, async () => {
    await control(fakeAgent(), "mode", { hold: false, down: false });
    await operator("POST", "/v1/repos/burst/pause", { reason: "collect the burst" });
    const events = Array.from({ length: BURST }, (_, i) => makeEvent({ repo: "burst", app_id: `org.example.Burst${i}`, branch: "stable", build_id: "1" }));
    for (let i = 0; i < events.length; i += 20) {
      const res = await Promise.all(events.slice(i, i + 20).map((e) => postBuild(e)));
      expect(res.every((r) => r.status === 202)).toBe(true);
    }
    await driveAlarms(coordinatorStub("burst"), async () => (await sizes()).queued === BURST, "the burst queued", 240_000);
    await operator("POST", "/v1/repos/burst/resume");
    await driveAlarms(coordinatorStub("burst"), async () => {
      const v = await json(await operator("GET", "/v1/repos/burst"));
      return v.queue_count === 0 && v.waiting_for_summary_count === 0 && v.running.length === 0;
    }, "the burst drained", 240_000);
    const { requests } = (await (await fetch(`${fakeAgent()}/__control/jobs`)).json()) as { requests: any[] };
    const published = requests.filter((r) => r.kind === "publish" && r.repo === "burst").flatMap((r) => r.builds.map((b: any) => b.build_key));
    expect(published).toHaveLength(BURST);
    expect(new Set(published).size).toBe(BURST);
    expect(requests.filter((r) => r.kind === "update-repo" && r.repo === "burst").length).toBeLessThanOrEqual(2);
    // the coordinator's reports reach the AppPublishers through its outbox
    await driveAlarms(coordinatorStub("burst"), async () => {
      const states = await Promise.all(events.map(async (e) => (await json(await operator("GET", `/v1/repos/burst/apps/${e.app_id}/builds/1`))).build.state));
      return states.every((s) => s === "live");
    }, "every build live", 240_000);
  }, 600_000);
});
