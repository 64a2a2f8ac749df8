/**
 * After a summary update the coordinator purges the CDN (through the purge worker) and the build's
 * Slack message follows it to live (issue 5), against local stand-ins for Fastly and Slack.
 */
import { describe, expect, it } from "vitest";
import { control, coordinatorStub, driveAlarms, json, makeEvent, operator, postBuild, publisherStub, saas } from "./helpers.js";

async function requests(): Promise<any[]> {
  return (await fetch(`${saas()}/__control/requests`)).json() as Promise<any[]>;
}

async function liveBetaBuild(app: string) {
  const e = makeEvent({ repo: "beta", app_id: app, branch: "beta" });
  e.artifact.refs = { [`app/${app}/x86_64/beta`]: "f".repeat(64) };
  expect((await postBuild(e)).status).toBe(202);
  const path = `/v1/repos/beta/apps/${app}/builds/${e.build_id}`;
  const coordinator = coordinatorStub("beta");
  const build = await driveAlarms(coordinator, async () => {
    const b = (await json(await operator("GET", path))).build;
    return b.state === "live" && b;
  }, `${app} live`);
  return { e, build, path };
}

/** The repo update that made this build live, once its purge report is recorded. */
async function updateOf(build: { key: string; live: { update_id: string } }) {
  return driveAlarms(coordinatorStub("beta"), async () => {
    const update = await json(await operator("GET", `/v1/repos/beta/updates/${build.live.update_id}`));
    return update.outcomes.items.some((o: any) => o.build_key === build.key && o.outcome === "live") && update.purge && update;
  }, "purge report");
}

describe("purge after a summary update", () => {
  it("soft-purges the mutable paths by surrogate key and records the report", async () => {
    const app = "org.example.PurgeOk";
    const { build } = await liveBetaBuild(app);
    const update = await updateOf(build);
    expect(update.purge.providers).toEqual([expect.objectContaining({ provider: "fastly", ok: true })]);
    const purge = (await requests()).find((r) => r.path === "/fastly/service/svc123/purge" && r.body.includes(app));
    expect(purge.method).toBe("POST");
    expect(purge.headers["fastly-key"]).toBe("test-fastly-token");
    expect(purge.headers["fastly-soft-purge"]).toBe("1");
    const keys: string[] = purge.json.surrogate_keys;
    expect(keys).toEqual(expect.arrayContaining(["beta:summary", "beta:summary.sig", "beta:summary.idx", "beta:summary.idx.sig", `beta:refs/heads/app/${app}/x86_64/beta`, "beta:refs/heads/appstream/x86_64", "beta:refs/heads/appstream2/x86_64"]));
    expect(keys.some((k) => k.includes("objects/") || k.includes("deltas/"))).toBe(false);
  });

  it("a purge that keeps failing raises an alert, and the build stays live", async () => {
    const app = "org.example.PurgeFails";
    await control(saas(), "fail", { prefix: "/fastly/", match: app, reply: { status: 503, body: { msg: "fastly down" } }, times: 50 });
    const { build } = await liveBetaBuild(app);
    const update = await updateOf(build);
    expect(update.purge.providers[0]).toMatchObject({ provider: "fastly", ok: false });
    expect(update.purge.alerts.length).toBeGreaterThan(0);
    await driveAlarms(coordinatorStub("beta"), async () => (await requests()).some((r) => r.path === "/slack/chat.postMessage" && r.body.includes("Purge") && r.body.includes("beta")), "alert in Slack");
    expect((await json(await operator("GET", `/v1/repos/beta/apps/${app}/builds/${build.build_id}`))).build.state).toBe("live");
    // and the build's own Slack thread hears about it
    const stub = publisherStub("beta", app);
    const { runDurableObjectAlarm } = await import("cloudflare:test");
    await driveAlarms(stub, async () => {
      await runDurableObjectAlarm(coordinatorStub("beta")); // the note travels through the coordinator's outbox
      const b = (await json(await operator("GET", `/v1/repos/beta/apps/${app}/builds/${build.build_id}`))).build;
      return b.slack?.ts && (await requests()).some((r) => r.path === "/slack/chat.postMessage" && r.json?.thread_ts === b.slack.ts && r.body.includes("CDN purge"));
    }, "thread reply about the purge");
  });
});

describe("Slack", () => {
  it("posts one message per build and keeps it up to date in order, ending at live", async () => {
    const app = "org.example.SlackFlow";
    const { e } = await liveBetaBuild(app);
    const stub = publisherStub("beta", app);
    const build = await driveAlarms(stub, async () => {
      const b = (await json(await operator("GET", `/v1/repos/beta/apps/${app}/builds/${e.build_id}`))).build;
      const pending = await stub.pendingEffects();
      return b.slack?.ts && pending.length === 0 && b;
    }, "slack synced");
    const mine = (await requests()).filter((r) => r.path.startsWith("/slack/chat.") && r.body.includes(app));
    const posts = mine.filter((r) => r.path === "/slack/chat.postMessage" && !r.json.thread_ts);
    expect(posts).toHaveLength(1);
    expect(posts[0].headers.authorization).toBe("Bearer xoxb-test-token");
    expect(posts[0].json.channel).toBe("C0FLATGATE");
    const updates = mine.filter((r) => r.path === "/slack/chat.update");
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((u) => u.json.ts === build.slack.ts)).toBe(true);
    expect(mine.indexOf(posts[0])).toBeLessThan(mine.indexOf(updates[0]));
    expect(JSON.stringify(updates.at(-1).json).toLowerCase()).toContain("live");
    expect(updates.at(-1).json.blocks.length).toBeLessThanOrEqual(50);
  });
});
