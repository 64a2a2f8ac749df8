/**
 * The optional external services of the Durable Objects (GitHub, Slack), built once per isolate
 * from the env. Unconfigured services are skipped (and said so at startup by the worker), so the
 * pipeline works with the operator API alone.
 */
import { createGitHubClient, type GitHubClient } from "../lib/github/client.js";
import { parseGitHubConfig } from "../lib/github/config.js";
import { createSlackClient, type SlackClient } from "../lib/slack/client.js";
import { loadSlackConfig } from "../lib/slack/config.js";

const github = new WeakMap<object, GitHubClient | null>();
const slack = new WeakMap<object, SlackClient | null>();

export function githubClient(env: Env): GitHubClient | undefined {
  if (!github.has(env)) {
    const config = parseGitHubConfig(env);
    github.set(env, config.configured ? createGitHubClient({ appId: config.appId, privateKeyPkcs8: config.privateKeyPkcs8, apiUrl: config.apiUrl }) : null);
  }
  return github.get(env) ?? undefined;
}

/** One client per isolate, so its per-channel pacing (~1 message a second) spans all calls. */
export function slackClient(env: Env): SlackClient | undefined {
  if (!slack.has(env)) {
    const config = loadSlackConfig(env);
    slack.set(env, config.mode === "disabled" ? null : createSlackClient(config));
  }
  return slack.get(env) ?? undefined;
}
