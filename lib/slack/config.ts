/**
 * Slack configuration, parsed with zod. Two ways to talk to Slack:
 *   API mode      SLACK_BOT_TOKEN + SLACK_CHANNEL: one message per build, updated in place
 *   webhook mode  SLACK_WEBHOOK_URL alone: a new message per notable event (no updates possible)
 * Neither: disabled, with the reason. A half configuration is an error naming the missing
 * variable. With both, API mode wins (it can update messages; the webhook is ignored).
 */
import { z } from "zod";
import { ConfigError, envLoader } from "../config.js";

export interface SlackApiConfig {
  mode: "api";
  botToken: string;
  /** channel id (C…) or name (#releases) */
  channel: string;
  apiUrl: string;
}

export interface SlackWebhookConfig {
  mode: "webhook";
  webhookUrl: string;
}

export type SlackConfig = SlackApiConfig | SlackWebhookConfig | { mode: "disabled"; reason: string };

export const SLACK_DISABLED_REASON = "Slack not configured (set SLACK_BOT_TOKEN and SLACK_CHANNEL, or SLACK_WEBHOOK_URL)";

const blank = (s: unknown) => (typeof s === "string" && s.trim() === "" ? undefined : s);

export const SlackEnv = z.object({
  SLACK_BOT_TOKEN: z.preprocess(blank, z.string().trim().regex(/^xox[a-z]-\S+$/, "must be a Slack token (xoxb-…)").optional()),
  SLACK_CHANNEL: z.preprocess(blank, z.string().trim().regex(/^[#@]?[A-Za-z0-9._-]{1,80}$/, "must be a channel id (C0123…) or #name").optional()),
  SLACK_WEBHOOK_URL: z.preprocess(blank, z.url({ protocol: /^https?$/ }).optional()),
  SLACK_API_URL: z.preprocess(blank, z.url({ protocol: /^https?$/ }).optional()).transform((u) => (u ?? "https://slack.com/api").replace(/\/+$/, "")),
});

/** Parses once per env object. Throws ConfigError naming the bad or missing variable. */
export const loadSlackConfig: (env: object) => SlackConfig = envLoader(SlackEnv, (e) => {
  let config: SlackConfig;
  if (e.SLACK_BOT_TOKEN !== undefined && e.SLACK_CHANNEL !== undefined) {
    config = { mode: "api", botToken: e.SLACK_BOT_TOKEN, channel: e.SLACK_CHANNEL, apiUrl: e.SLACK_API_URL };
  } else if (e.SLACK_BOT_TOKEN !== undefined) {
    throw new ConfigError([{ path: "SLACK_CHANNEL", message: "is missing: SLACK_BOT_TOKEN is set, so Slack needs the channel to post to (or unset SLACK_BOT_TOKEN)" }]);
  } else if (e.SLACK_CHANNEL !== undefined) {
    throw new ConfigError([
      {
        path: "SLACK_BOT_TOKEN",
        message: "is missing: SLACK_CHANNEL is set, so Slack needs a bot token with chat:write (an incoming webhook's channel is fixed at install: unset SLACK_CHANNEL to use SLACK_WEBHOOK_URL alone)",
      },
    ]);
  } else if (e.SLACK_WEBHOOK_URL !== undefined) {
    config = { mode: "webhook", webhookUrl: e.SLACK_WEBHOOK_URL };
  } else {
    config = { mode: "disabled", reason: SLACK_DISABLED_REASON };
  }
  return config;
});
