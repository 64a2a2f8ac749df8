import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config.js";
import { SLACK_DISABLED_REASON, loadSlackConfig } from "../../lib/slack/config.js";

describe("loadSlackConfig", () => {
  it("is disabled, with the reason, when nothing is set", () => {
    expect(loadSlackConfig({})).toEqual({ mode: "disabled", reason: SLACK_DISABLED_REASON });
    expect(loadSlackConfig({ SLACK_BOT_TOKEN: "", SLACK_CHANNEL: " " })).toEqual({ mode: "disabled", reason: SLACK_DISABLED_REASON });
  });

  it("uses the API with a bot token and a channel", () => {
    expect(loadSlackConfig({ SLACK_BOT_TOKEN: "xoxb-1-2-abc", SLACK_CHANNEL: "C0123456" })).toEqual({
      mode: "api",
      botToken: "xoxb-1-2-abc",
      channel: "C0123456",
      apiUrl: "https://slack.com/api",
    });
    expect(loadSlackConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_CHANNEL: "#releases", SLACK_API_URL: "http://127.0.0.1:4000/api/" })).toMatchObject({
      channel: "#releases",
      apiUrl: "http://127.0.0.1:4000/api",
    });
  });

  it("uses the webhook alone, and prefers the API when both are set", () => {
    expect(loadSlackConfig({ SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x" })).toEqual({ mode: "webhook", webhookUrl: "https://hooks.slack.com/services/T/B/x" });
    expect(loadSlackConfig({ SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x", SLACK_BOT_TOKEN: "xoxb-1", SLACK_CHANNEL: "C1" }).mode).toBe("api");
  });

  it("names the missing half", () => {
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: "xoxb-1" })).toThrow(/SLACK_CHANNEL: is missing: SLACK_BOT_TOKEN is set/);
    expect(() => loadSlackConfig({ SLACK_CHANNEL: "C1", SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/x" })).toThrow(/SLACK_BOT_TOKEN: is missing: SLACK_CHANNEL is set/);
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: "xoxb-1" })).toThrow(ConfigError);
  });

  it("rejects malformed values by name", () => {
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: "not-a-token", SLACK_CHANNEL: "C1" })).toThrow(/SLACK_BOT_TOKEN: must be a Slack token/);
    expect(() => loadSlackConfig({ SLACK_WEBHOOK_URL: "hooks.slack.com/x" })).toThrow(/SLACK_WEBHOOK_URL/);
    expect(() => loadSlackConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_CHANNEL: "two words" })).toThrow(/SLACK_CHANNEL/);
  });
});
