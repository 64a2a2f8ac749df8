/**
 * What the webhook worker records in the replay ledger, for how long, and on which shard.
 *
 * Keys are namespaced so the three uses never collide; each namespace has its own retention:
 * - `build:<webhook-id>` → digest of the build event. Kept 7 days: a Standard Webhooks sender
 *   retries one message under one id for about a day (Svix: ~27 h), and an id must not be
 *   re-bound to another build while its sender might still be retrying the first one.
 * - `github:<sha256 of the raw body>` → X-GitHub-Delivery. Kept 3 days, GitHub's redelivery
 *   window (GitHub signs no timestamp, so without this a captured click replays forever).
 * - `callback:<webhook-id>` → digest of the callback body. Kept 10 minutes: a signature is
 *   accepted ±5 minutes around its timestamp, so 2 × 5 minutes after first sight every replay
 *   fails `stale_timestamp` anyway (the agent's replay-cache.ts uses the same window).
 * - `oidc:<sha256 of iss and jti>` → digest of the build event. A trusted publisher's token is
 *   used once (issue 13). Kept for the longest lifetime we accept plus the leeway on both ends:
 *   after that, every replay fails its `exp` check anyway.
 */
import { OIDC_LEEWAY_SECONDS, OIDC_MAX_LIFETIME_SECONDS } from "../auth/trusted-publisher.js";
import { TOLERANCE_SECONDS } from "../standard-webhooks.js";

const DAY_MS = 24 * 60 * 60_000;

export const LEDGER_WINDOWS_MS = {
  build: 7 * DAY_MS,
  github: 3 * DAY_MS,
  callback: 2 * TOLERANCE_SECONDS * 1000,
  oidc: (OIDC_MAX_LIFETIME_SECONDS + 2 * OIDC_LEEWAY_SECONDS) * 1000,
} as const;

export type LedgerNamespace = keyof typeof LEDGER_WINDOWS_MS;

/** Enough shards that no single object is hot; the shard is a hash prefix, so the spread is even. */
export const LEDGER_SHARDS = 16;

export function ledgerKey(namespace: LedgerNamespace, id: string): string {
  return `${namespace}:${id}`;
}

/** The Durable Object name of the shard that holds `key`: `shard-0` … `shard-f`. */
export async function ledgerShard(key: string): Promise<string> {
  // the leading hex digit of the key's hash: one shard per digit (LEDGER_SHARDS = 16)
  const digit = Number.parseInt((await sha256Hex(key)).slice(0, 1), 16);
  return `shard-${(digit % LEDGER_SHARDS).toString(16)}`;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
