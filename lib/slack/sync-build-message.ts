/**
 * Keeps a build's Slack message in step with the build (called from the AppPublisher's
 * alarm-driven outbox, which owns ordering, dedupe and retries: a failure comes back as a
 * Result with `retryable`/`retryAfterMs`, never as an exception, and never blocks a publish).
 *   API mode: the first call posts (store the returned {channel, ts} in build.slack), later
 *             calls chat.update that message.
 *   webhook mode: a new message only for notable states (a webhook message cannot be updated).
 */
import type { Build } from "../build.js";
import type { BuildState } from "../build-state.js";
import { ok, type Result } from "../result.js";
import { alertMessage, buildMessage, buildNoteMessage, threadReply, type BuildMessageContext } from "./build-message.js";
import type { SlackClient, SlackFailure } from "./client.js";

export type SyncOutcome =
  | { action: "posted"; channel: string; ts: string }
  | { action: "updated"; channel: string; ts: string }
  | { action: "webhook_sent"; state?: BuildState }
  | { action: "skipped"; reason: string };

/** The transitions a webhook-mode channel hears about. */
export const WEBHOOK_NOTABLE_STATES: readonly BuildState[] = ["awaiting_approval", "live", "failed", "build_failed", "rejected"];

/** The message is gone or frozen: post a fresh one instead of retrying the update forever. */
const REPOST_CODES = new Set(["message_not_found", "cant_update_message", "edit_window_closed"]);

export async function syncBuildMessage(client: SlackClient, build: Build, ctx: BuildMessageContext = {}): Promise<Result<SyncOutcome, SlackFailure>> {
  const msg = buildMessage(build, ctx);
  if (client.mode === "webhook") {
    if (!WEBHOOK_NOTABLE_STATES.includes(build.state)) return ok({ action: "skipped", reason: `state ${build.state} is not notable in webhook mode` });
    const sent = await client.postWebhook(msg);
    return sent.ok ? ok({ action: "webhook_sent", state: build.state }) : sent;
  }
  const { channel, ts } = build.slack ?? {};
  if (channel !== undefined && ts !== undefined) {
    const updated = await client.update(channel, ts, msg);
    if (updated.ok) return ok({ action: "updated", channel: updated.value.channel, ts: updated.value.ts });
    if (!REPOST_CODES.has(updated.error.code)) return updated;
  }
  const posted = await client.postMessage(msg);
  return posted.ok ? ok({ action: "posted", channel: posted.value.channel, ts: posted.value.ts }) : posted;
}

/**
 * A notable event in the build's thread (refused approval, retry, purge failure). Without a
 * parent message (webhook mode, or the first post has not gone out) it is posted on its own,
 * naming the build, rather than lost.
 */
export async function postThreadReply(
  client: SlackClient,
  build: Build,
  text: string,
  opts: { broadcast?: boolean } = {},
): Promise<Result<SyncOutcome, SlackFailure>> {
  if (client.mode === "webhook") {
    const sent = await client.postWebhook(buildNoteMessage(build, text));
    return sent.ok ? ok({ action: "webhook_sent", state: build.state }) : sent;
  }
  const { channel, ts } = build.slack ?? {};
  const posted =
    channel !== undefined && ts !== undefined
      ? await client.postMessage(threadReply(text), { channel, thread_ts: ts, ...(opts.broadcast ? { reply_broadcast: true } : {}) })
      : await client.postMessage(buildNoteMessage(build, text));
  return posted.ok ? ok({ action: "posted", channel: posted.value.channel, ts: posted.value.ts }) : posted;
}

/** A repo-level alert to the channel (purge failed after retries, repo master unreachable). */
export async function postAlert(client: SlackClient, repo: string, text: string): Promise<Result<SyncOutcome, SlackFailure>> {
  const msg = alertMessage(repo, text);
  if (client.mode === "webhook") {
    const sent = await client.postWebhook(msg);
    return sent.ok ? ok({ action: "webhook_sent" }) : sent;
  }
  const posted = await client.postMessage(msg);
  return posted.ok ? ok({ action: "posted", channel: posted.value.channel, ts: posted.value.ts }) : posted;
}
