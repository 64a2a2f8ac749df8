import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { threadReply } from "../../lib/slack/build-message.js";
import { createSlackClient, type SlackClientDeps } from "../../lib/slack/client.js";
import { nextSendAt } from "../../lib/slack/pacing.js";
import { startRecordingServer, type RecordingServer } from "../fixtures/recording-server.js";

let slack: RecordingServer;
let clock: number;
let sleeps: number[];
let logged: { msg: string; method: string; code: string }[];

const deps = (): SlackClientDeps => ({
  sleep: async (ms) => {
    sleeps.push(ms);
    clock += ms;
  },
  now: () => clock,
  log: (e) => logged.push(e),
});
const api = () => createSlackClient({ mode: "api", botToken: "xoxb-test-token", channel: "C0RELEASES", apiUrl: `${slack.url}/api` }, deps());
const hook = () => createSlackClient({ mode: "webhook", webhookUrl: `${slack.url}/services/T000/B000/secret` }, deps());
const msg = threadReply("hello");

beforeEach(async () => {
  clock = 1_000_000;
  sleeps = [];
  logged = [];
  let n = 0;
  slack = await startRecordingServer((req) => {
    if (req.path === "/api/chat.postMessage") return { body: { ok: true, channel: "C0RELEASES", ts: `1700000000.00010${++n}`, message: {} } };
    if (req.path === "/api/chat.update") {
      const b = req.json as { channel: string; ts: string };
      return { body: { ok: true, channel: b.channel, ts: b.ts, text: "" } };
    }
    if (req.path.startsWith("/services/")) return { body: "ok" };
    return { status: 404, body: "no_service" };
  });
});
afterEach(() => slack.close());

describe("SlackClient (API)", () => {
  it("sends chat.postMessage with the exact shape", async () => {
    const res = await api().postMessage(msg);
    expect(res).toEqual({ ok: true, value: { channel: "C0RELEASES", ts: "1700000000.000101" } });
    const [req] = slack.requests;
    expect(req).toMatchObject({ method: "POST", path: "/api/chat.postMessage" });
    expect(req?.headers["authorization"]).toBe("Bearer xoxb-test-token");
    expect(req?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(req?.json).toEqual({ channel: "C0RELEASES", text: "hello", blocks: msg.blocks, unfurl_links: false, unfurl_media: false });
  });

  it("sends thread replies and chat.update", async () => {
    const c = api();
    await c.postMessage(msg, { thread_ts: "1.2", reply_broadcast: true });
    await c.update("C0RELEASES", "1.2", msg);
    expect(slack.requests[0]?.json).toMatchObject({ thread_ts: "1.2", reply_broadcast: true });
    expect(slack.requests[1]).toMatchObject({ path: "/api/chat.update", json: { channel: "C0RELEASES", ts: "1.2", text: "hello", blocks: msg.blocks } });
  });

  it("turns ok:false into a failure carrying Slack's code, and logs it", async () => {
    slack.handle(() => ({ body: { ok: false, error: "channel_not_found" } }));
    const res = await api().postMessage(msg);
    expect(res).toEqual({ ok: false, error: { code: "channel_not_found", message: "Slack chat.postMessage failed: channel_not_found", retryable: false, attempts: 1 } });
    expect(logged).toEqual([{ msg: "slack request failed", method: "chat.postMessage", code: "channel_not_found" }]);
  });

  it("marks ok:false ratelimited as retryable", async () => {
    slack.handle(() => ({ body: { ok: false, error: "ratelimited" } }));
    const res = await api().update("C1", "1.1", msg);
    expect(res.ok === false && res.error).toMatchObject({ code: "ratelimited", retryable: true });
  });

  it("waits a short 429 Retry-After, then succeeds", async () => {
    slack.failNext(1, { status: 429, headers: { "retry-after": "3" }, body: "" });
    const res = await api().postMessage(msg);
    expect(res.ok).toBe(true);
    expect(sleeps).toEqual([3000]);
    expect(slack.requests).toHaveLength(2);
  });

  it("returns a long 429 Retry-After as retryAfterMs instead of sleeping", async () => {
    slack.failNext(1, { status: 429, headers: { "retry-after": "30" }, body: "" });
    const res = await api().postMessage(msg);
    expect(res).toMatchObject({ ok: false, error: { code: "ratelimited", retryable: true, retryAfterMs: 30_000, status: 429, attempts: 1 } });
    expect(sleeps).toEqual([]);
    expect(slack.requests).toHaveLength(1);
  });

  it("retries a 5xx, then succeeds", async () => {
    slack.failNext(1, { status: 503, body: "" });
    const res = await api().postMessage(msg);
    expect(res.ok).toBe(true);
    expect(slack.requests).toHaveLength(2);
  });

  it("paces bursts to one message per second per channel", async () => {
    const c = api();
    await Promise.all([c.postMessage(msg), c.postMessage(msg), c.postMessage(msg, { channel: "C0OTHER" })]);
    expect(sleeps).toEqual([1000]);
    await c.update("C0RELEASES", "1.1", msg); // chat.update is not on the posting tier
    expect(sleeps).toEqual([1000]);
    await c.postMessage(msg);
    expect(sleeps).toEqual([1000, 1000]);
  });

  it("refuses webhook calls in API mode", async () => {
    const res = await api().postWebhook(msg);
    expect(res).toMatchObject({ ok: false, error: { code: "not_supported", retryable: false } });
    expect(slack.requests).toHaveLength(0);
  });
});

describe("SlackClient (webhook)", () => {
  it("posts the message to the webhook URL", async () => {
    const res = await hook().postWebhook(msg);
    expect(res).toEqual({ ok: true, value: undefined });
    const [req] = slack.requests;
    expect(req).toMatchObject({ method: "POST", path: "/services/T000/B000/secret" });
    expect(req?.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(req?.headers).not.toHaveProperty("authorization");
    expect(req?.json).toEqual({ text: "hello", blocks: msg.blocks, unfurl_links: false, unfurl_media: false });
  });

  it("reads the webhook's text error codes", async () => {
    slack.handle(() => ({ status: 400, body: "invalid_payload" }));
    expect(await hook().postWebhook(msg)).toMatchObject({ ok: false, error: { code: "invalid_payload", status: 400, retryable: false } });
    slack.handle(() => ({ status: 410, body: "channel_is_archived" }));
    expect(await hook().postWebhook(msg)).toMatchObject({ ok: false, error: { code: "channel_is_archived", retryable: false } });
  });

  it("cannot post or update by API", async () => {
    expect(await hook().postMessage(msg)).toMatchObject({ ok: false, error: { code: "not_supported" } });
    expect(await hook().update("C", "1", msg)).toMatchObject({ ok: false, error: { code: "not_supported" } });
  });
});

describe("nextSendAt", () => {
  it("spaces messages by the interval", () => {
    expect(nextSendAt(undefined, 5000)).toBe(5000);
    expect(nextSendAt(4500, 5000)).toBe(5500);
    expect(nextSendAt(3000, 5000)).toBe(5000);
    expect(nextSendAt(4500, 5000, 2000)).toBe(6500);
  });
});
