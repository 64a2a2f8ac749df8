/**
 * Fastly purge client (external-apis.md §4), over the shared request helper.
 *   batch:  POST {api}/service/{id}/purge  {"surrogate_keys":[…]}  -> { key: purge id, … }
 *   URL:    POST {api}/purge/{host}/{path}                         -> { status: "ok", id }
 * Both with `Fastly-Key`; `Fastly-Soft-Purge: 1` marks objects stale instead of evicting them,
 * so a purge never stampedes the single repo master (and stale-if-error keeps serving).
 * Key and URL purges do not count against Fastly's 1,000 req/h API limit; purge_all does and
 * is never used.
 */
import { z } from "zod";
import { request } from "../http/request.js";
import { ok } from "../result.js";
import type { FastlyConfig } from "./config.js";
import type { ProviderReport } from "./contract.js";
import { sendOrder } from "./mutable-paths.js";
import { failureOf, runBatches, type BatchResult, type HttpDeps } from "./run-batches.js";

/** "The batch purge endpoint accepts at most 256 surrogate keys per request" (Fastly API docs). */
export const FASTLY_MAX_KEYS = 256;

/** URL purges are one request each; stay under workerd's 6 simultaneous connections. */
export const FASTLY_URL_CONCURRENCY = 6;

const BatchPurgeResponse = z.record(z.string(), z.string());
const UrlPurgeResponse = z.looseObject({ status: z.string(), id: z.string().optional() });

function headers(cfg: FastlyConfig): Record<string, string> {
  return { "Fastly-Key": cfg.apiToken, ...(cfg.softPurge ? { "Fastly-Soft-Purge": "1" } : {}) };
}

/** Purges surrogate keys in the fewest requests (≤256 keys each); the first key's batch goes last. */
export async function fastlyPurgeKeys(cfg: FastlyConfig, keys: readonly string[], deps: HttpDeps = {}): Promise<ProviderReport> {
  const url = `${cfg.apiUrl}/service/${encodeURIComponent(cfg.serviceId)}/purge`;
  const batches = sendOrder(keys, FASTLY_MAX_KEYS).map((b) => [b]);
  return runBatches("fastly", "keys", batches, async (batch): Promise<BatchResult> => {
    const res = await request({
      service: "Fastly",
      url,
      method: "POST",
      headers: headers(cfg),
      body: { surrogate_keys: batch },
      schema: BatchPurgeResponse,
      ...deps,
    });
    if (!res.ok) return { ok: false, error: failureOf(res.error, `Fastly key purge failed: ${res.error.message}`) };
    // the answer maps each key to its purge id; report them in the order we sent the keys
    return ok({ ids: batch.flatMap((k) => (res.value.data[k] !== undefined ? [res.value.data[k]] : [])), attempts: res.value.attempts });
  });
}

/** `POST /purge/<host>/<path>`: the cached URL without its scheme. */
export function fastlyUrlPurgeEndpoint(apiUrl: string, cachedUrl: string): string {
  const u = new URL(cachedUrl);
  return `${apiUrl}/purge/${u.host}${u.pathname}`;
}

/** Purges full URLs, one request each, a few at a time; the first URL's group goes last. */
export async function fastlyPurgeUrls(cfg: FastlyConfig, urls: readonly string[], deps: HttpDeps = {}): Promise<ProviderReport> {
  // groups of concurrent requests; the summary set shares the first group, which goes out last
  return runBatches("fastly", "urls", sendOrder(urls, FASTLY_URL_CONCURRENCY), async (target): Promise<BatchResult> => {
    const res = await request({
      service: "Fastly",
      url: fastlyUrlPurgeEndpoint(cfg.apiUrl, target),
      method: "POST",
      headers: headers(cfg),
      schema: UrlPurgeResponse,
      ...deps,
    });
    if (!res.ok) return { ok: false, error: failureOf(res.error, `Fastly URL purge of ${target} failed: ${res.error.message}`) };
    return ok({ ids: res.value.data.id !== undefined ? [res.value.data.id] : [], attempts: res.value.attempts });
  });
}
