import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Build } from "../../lib/build.js";
import { createSlackClient, type SlackClient } from "../../lib/slack/client.js";
import { WEBHOOK_NOTABLE_STATES, postAlert, postThreadReply, syncBuildMessage } from "../../lib/slack/sync-build-message.js";
import { makeBuild as slackBuild } from "../fixtures/slack-build.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

const Body = z.looseObject({ channel: z.string().optional(), ts: z.string().optional(), thread_ts: z.string().optional(), text: z.string() });

/** The Slack fixture without a log link or check run, as a build fresh from intake. */
function makeBuild(over: Partial<Build> = {}): Build {
  const { build_log_url: _log, github: _gh, ...fresh } = slackBuild();
  return { ...fresh, ...over };
}

let slack: RecordingServer;
const noSleep = { sleep: async () => {}, log: () => {} };
const api = (): SlackClient => createSlackClient({ mode: "api", botToken: "xoxb-t", channel: "C0RELEASES", apiUrl: slack.url }, noSleep);
const hook = (): SlackClient => createSlackClient({ mode: "webhook", webhookUrl: `${slack.url}/services/T/B/x` }, noSleep);

beforeEach(async () => {
  let n = 0;
  slack = await startRecordingServer((req) => {
    const b = Body.parse(req.json ?? { text: "" });
    if (req.path === "/chat.postMessage") return { body: { ok: true, channel: "C0RELEASES", ts: `1700000000.00000${++n}` } };
    if (req.path === "/chat.update") return { body: { ok: true, channel: b.channel, ts: b.ts } };
    return { body: "ok" };
  });
});
afterEach(() => slack.close());

describe("syncBuildMessage (API mode)", () => {
  it("posts once, then updates the same message as the build moves", async () => {
    const client = api();
    let build = makeBuild();
    const first = await syncBuildMessage(client, build);
    expect(first).toEqual({ ok: true, value: { action: "posted", channel: "C0RELEASES", ts: "1700000000.000001" } });
    build = { ...build, slack: { channel: "C0RELEASES", ts: "1700000000.000001" } };

    build = { ...build, state: "approved", approvals: [{ by: "alice", actor_kind: "github", at: "2026-11-25T10:01:00Z" }] };
    expect(await syncBuildMessage(client, build)).toEqual({ ok: true, value: { action: "updated", channel: "C0RELEASES", ts: "1700000000.000001" } });
    build = { ...build, state: "live", live: { summary_sha256: "f".repeat(64), at: "2026-11-25T10:02:00Z", seconds_from_approval: 42 } };
    await syncBuildMessage(client, build, { statusUrl: "https://pipeline.example.org/status/b-1" });

    expect(slack.requests.map((r) => r.path)).toEqual(["/chat.postMessage", "/chat.update", "/chat.update"]);
    const bodies = slack.requests.map((r) => Body.parse(r.json));
    expect(bodies.map((b) => b.text)).toEqual([
      "org.example.App (stable) → stable: awaiting approval",
      "org.example.App (stable) → stable: approved by alice",
      "org.example.App (stable) → stable: live in 42 s",
    ]);
    expect(bodies.slice(1).map((b) => [b.channel, b.ts])).toEqual([
      ["C0RELEASES", "1700000000.000001"],
      ["C0RELEASES", "1700000000.000001"],
    ]);
    expect(JSON.stringify(slack.requests[2]?.json)).toContain("https://pipeline.example.org/status/b-1|Status page");
  });

  it("posts a new message when the old one is gone", async () => {
    slack.failNext(1, { body: { ok: false, error: "message_not_found" } });
    const res = await syncBuildMessage(api(), makeBuild({ slack: { channel: "C0RELEASES", ts: "1.1" } }));
    expect(res).toEqual({ ok: true, value: { action: "posted", channel: "C0RELEASES", ts: "1700000000.000001" } });
    expect(slack.requests.map((r) => r.path)).toEqual(["/chat.update", "/chat.postMessage"]);
  });

  it("hands other failures back with their code for the outbox to retry or drop", async () => {
    slack.handle(() => ({ body: { ok: false, error: "ratelimited" } }));
    const res = await syncBuildMessage(api(), makeBuild({ slack: { channel: "C0RELEASES", ts: "1.1" } }));
    expect(res).toMatchObject({ ok: false, error: { code: "ratelimited", retryable: true } });
    expect(slack.requests).toHaveLength(1);
  });
});

describe("syncBuildMessage (webhook mode)", () => {
  it("sends a new message only for notable transitions", async () => {
    const client = hook();
    const states = ["received", "awaiting_approval", "approved", "queued", "publishing", "published", "live"] as const;
    const outcomes = [];
    for (const state of states) outcomes.push(await syncBuildMessage(client, makeBuild({ state })));
    expect(outcomes.map((o) => (o.ok ? o.value.action : "error"))).toEqual(["skipped", "webhook_sent", "skipped", "skipped", "skipped", "skipped", "webhook_sent"]);
    expect(slack.requests.map((r) => Body.parse(r.json).text)).toEqual([
      "org.example.App (stable) → stable: awaiting approval",
      "org.example.App (stable) → stable: live",
    ]);
    expect(WEBHOOK_NOTABLE_STATES).toEqual(["awaiting_approval", "live", "failed", "build_failed", "rejected"]);
  });
});

describe("postThreadReply / postAlert", () => {
  it("replies in the build's thread", async () => {
    const res = await postThreadReply(api(), makeBuild({ slack: { channel: "C0RELEASES", ts: "1.1" } }), "approval by mallory refused: no repository role");
    expect(res.ok).toBe(true);
    expect(slack.requests[0]?.json).toMatchObject({ channel: "C0RELEASES", thread_ts: "1.1", text: "approval by mallory refused: no repository role" });
  });

  it("posts on its own, naming the build, when there is no thread yet or in webhook mode", async () => {
    await postThreadReply(api(), makeBuild(), "retrying publish (attempt 2)");
    expect(slack.requests[0]?.json).toMatchObject({ channel: "C0RELEASES", text: "org.example.App: retrying publish (attempt 2)" });
    expect(slack.requests[0]?.json).not.toHaveProperty("thread_ts");
    await postThreadReply(hook(), makeBuild(), "purge failed");
    expect(slack.requests[1]).toMatchObject({ path: "/services/T/B/x", json: { text: "org.example.App: purge failed" } });
  });

  it("posts repo alerts in both modes", async () => {
    expect(await postAlert(api(), "stable", "repo master unreachable for 10 minutes")).toMatchObject({ ok: true, value: { action: "posted" } });
    expect(await postAlert(hook(), "stable", "purge failed")).toEqual({ ok: true, value: { action: "webhook_sent" } });
    expect(slack.requests.map((r) => Body.parse(r.json).text)).toEqual([":rotating_light: stable: repo master unreachable for 10 minutes", ":rotating_light: stable: purge failed"]);
  });
});
