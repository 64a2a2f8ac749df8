/**
 * The one Slack client (STYLE.md §7), over the shared request helper:
 *   chat.postMessage / chat.update   POST {SLACK_API_URL}/chat.*  Bearer token, JSON
 *   incoming webhook                 POST <secret URL>            JSON, answers the text "ok"
 * Slack's Web API answers HTTP 200 with `{ok:false, error}` for most failures: those become
 * failures carrying the code (`ratelimited` and Slack-side errors are retryable). HTTP 429
 * `Retry-After` is honoured by the helper; a wait too long to sleep inline comes back as
 * `retryAfterMs` for the caller's alarm. Bursts are paced to ~1 message/s per channel.
 */
import { z } from "zod";
import { request, type HttpFailure } from "../http/request.js";
import { err, ok, type Result } from "../result.js";
import type { SlackMessage } from "./build-message.js";
import type { SlackApiConfig, SlackWebhookConfig } from "./config.js";
import { SLACK_MIN_INTERVAL_MS, nextSendAt } from "./pacing.js";

export interface SlackFailure {
  /** Slack's error code (`channel_not_found`, `ratelimited`, `invalid_payload`…) or ours (`network`, `timeout`, `http_500`, `invalid_response`, `not_supported`) */
  code: string;
  message: string;
  retryable: boolean;
  /** Slack asked us to wait this long (429 Retry-After) */
  retryAfterMs?: number;
  status?: number;
  attempts: number;
}

export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface PostOptions {
  /** reply in this message's thread */
  thread_ts?: string;
  /** also show the thread reply in the channel */
  reply_broadcast?: boolean;
  /** defaults to the configured channel */
  channel?: string;
}

export interface SlackClient {
  readonly mode: "api" | "webhook";
  /** the configured channel in API mode */
  readonly channel: string | undefined;
  postMessage(msg: SlackMessage, opts?: PostOptions): Promise<Result<PostedMessage, SlackFailure>>;
  update(channel: string, ts: string, msg: SlackMessage): Promise<Result<PostedMessage, SlackFailure>>;
  postWebhook(msg: SlackMessage): Promise<Result<void, SlackFailure>>;
}

export interface SlackClientDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  minIntervalMs?: number;
  /** where `ok:false` codes and HTTP failures are logged (default: console.warn, one JSON line) */
  log?: (entry: { msg: string; method: string; code: string; status?: number }) => void;
}

/** Codes worth retrying later; everything else needs a human (bad token, archived channel…). */
const RETRYABLE_CODES = new Set(["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

const ApiResponse = z.looseObject({
  ok: z.boolean(),
  error: z.string().optional(),
  channel: z.string().optional(),
  ts: z.string().optional(),
});

const JSON_UTF8 = "application/json; charset=utf-8";

function fromHttp(f: HttpFailure): SlackFailure {
  // incoming webhooks answer errors as text bodies: "invalid_payload", "channel_is_archived"…
  const bodyCode = f.body?.trim();
  const code =
    f.kind === "http"
      ? f.status === 429
        ? "ratelimited"
        : bodyCode && /^[a-z_]{2,64}$/.test(bodyCode)
          ? bodyCode
          : `http_${f.status ?? 0}`
      : f.kind === "parse"
        ? "invalid_response"
        : f.kind;
  return {
    code,
    message: f.message,
    retryable: f.retryable,
    attempts: f.attempts,
    ...(f.status !== undefined ? { status: f.status } : {}),
    ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
  };
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const defaultLog: NonNullable<SlackClientDeps["log"]> = (entry) => console.warn(JSON.stringify(entry));

export function createSlackClient(config: SlackApiConfig | SlackWebhookConfig, deps: SlackClientDeps = {}): SlackClient {
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const interval = deps.minIntervalMs ?? SLACK_MIN_INTERVAL_MS;
  const log = deps.log ?? defaultLog;
  const lastSent = new Map<string, number>();
  const http = { sleep, ...(deps.fetch ? { fetch: deps.fetch } : {}) };

  /** Reserves the channel's next slot before waiting, so concurrent sends queue up 1/s. */
  async function pace(key: string): Promise<void> {
    const t = now();
    const at = nextSendAt(lastSent.get(key), t, interval);
    lastSent.set(key, at);
    if (at > t) await sleep(at - t);
  }

  function failed<T>(method: string, f: SlackFailure): Result<T, SlackFailure> {
    log({ msg: "slack request failed", method, code: f.code, ...(f.status !== undefined ? { status: f.status } : {}) });
    return err(f);
  }

  async function call(method: "chat.postMessage" | "chat.update", body: object): Promise<Result<PostedMessage, SlackFailure>> {
    if (config.mode !== "api") return err({ code: "not_supported", message: `${method} needs SLACK_BOT_TOKEN and SLACK_CHANNEL (webhook mode cannot post or update by API)`, retryable: false, attempts: 0 });
    const res = await request({
      service: "Slack",
      url: `${config.apiUrl}/${method}`,
      method: "POST",
      headers: { authorization: `Bearer ${config.botToken}`, "content-type": JSON_UTF8 },
      body,
      schema: ApiResponse,
      ...http,
    });
    if (!res.ok) return failed(method, fromHttp(res.error));
    const data = res.value.data;
    if (!data.ok) {
      const code = data.error ?? "unknown_error";
      return failed(method, { code, message: `Slack ${method} failed: ${code}`, retryable: RETRYABLE_CODES.has(code), attempts: res.value.attempts });
    }
    if (data.channel === undefined || data.ts === undefined) {
      return failed(method, { code: "invalid_response", message: `Slack ${method} answered ok without channel/ts`, retryable: false, attempts: res.value.attempts });
    }
    return ok({ channel: data.channel, ts: data.ts });
  }

  return {
    mode: config.mode,
    channel: config.mode === "api" ? config.channel : undefined,

    async postMessage(msg, opts = {}) {
      const channel = opts.channel ?? (config.mode === "api" ? config.channel : "");
      await pace(channel);
      return call("chat.postMessage", {
        channel,
        text: msg.text,
        blocks: msg.blocks,
        unfurl_links: false,
        unfurl_media: false,
        ...(opts.thread_ts !== undefined ? { thread_ts: opts.thread_ts } : {}),
        ...(opts.reply_broadcast ? { reply_broadcast: true } : {}),
      });
    },

    // chat.update is a Tier 3 method (50+/min), not the 1/s-per-channel posting tier: not paced
    async update(channel, ts, msg) {
      return call("chat.update", { channel, ts, text: msg.text, blocks: msg.blocks });
    },

    async postWebhook(msg) {
      if (config.mode !== "webhook") return err({ code: "not_supported", message: "postWebhook needs SLACK_WEBHOOK_URL", retryable: false, attempts: 0 });
      await pace("webhook");
      const res = await request({
        service: "Slack webhook",
        url: config.webhookUrl,
        method: "POST",
        headers: { "content-type": JSON_UTF8, accept: "text/plain, application/json" },
        body: { text: msg.text, blocks: msg.blocks, unfurl_links: false, unfurl_media: false },
        schema: z.unknown(),
        ...http,
      });
      if (!res.ok) return failed("webhook", fromHttp(res.error));
      return ok(undefined);
    },
  };
}
