/**
 * Slack allows about one message per second per channel (chat.postMessage's special tier and
 * incoming webhooks; short bursts tolerated, repeated violations risk the app being disabled).
 * Pure: the AppPublisher keeps `lastSentAt` per channel in storage and sets its alarm to
 * `nextSendAt(...)`; the client applies the same rule in memory to bursts within one call.
 */
export const SLACK_MIN_INTERVAL_MS = 1_000;

/** The earliest time (epoch ms) the next message to a channel may go out. */
export function nextSendAt(lastSentAt: number | undefined, now: number, minIntervalMs = SLACK_MIN_INTERVAL_MS): number {
  return lastSentAt === undefined ? now : Math.max(now, lastSentAt + minIntervalMs);
}
