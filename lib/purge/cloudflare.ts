/**
 * Cloudflare cache purge client (external-apis.md §5), over the shared request helper.
 *   POST {api}/client/v4/zones/{zone}/purge_cache  {"files":[url…]} | {"tags":[tag…]}
 *   -> { success, errors:[{code, message}], messages, result:{id} }
 * `Authorization: Bearer` with a token holding Zone → Cache Purge.
 */
import { z } from "zod";
import { request, type HttpFailure } from "../http/request.js";
import { ok } from "../result.js";
import type { CloudflareConfig } from "./config.js";
import type { ProviderReport } from "./contract.js";
import { sendOrder } from "./mutable-paths.js";
import { failureOf, runBatches, type BatchResult, type HttpDeps } from "./run-batches.js";

/** 100 URLs (or tags) per purge_cache call on every plan but Enterprise (500); we use the common limit. */
export const CLOUDFLARE_MAX_PER_REQUEST = 100;

const CfError = z.looseObject({ code: z.number().optional(), message: z.string() });
const PurgeCacheResponse = z.looseObject({
  success: z.boolean(),
  errors: z.array(CfError).default([]),
  result: z.looseObject({ id: z.string() }).nullable().optional(),
});

function describe(errors: readonly z.infer<typeof CfError>[]): string {
  return errors.map((e) => (e.code !== undefined ? `${e.code} ${e.message}` : e.message)).join("; ") || "no error details";
}

/** Cloudflare sends its envelope with 4xx too: name its errors instead of echoing the body. */
function httpFailureMessage(f: HttpFailure): string {
  try {
    const env = PurgeCacheResponse.safeParse(JSON.parse(f.body ?? ""));
    if (env.success && env.data.errors.length > 0) return `Cloudflare purge_cache failed (HTTP ${f.status}): ${describe(env.data.errors)}`;
  } catch {
    // not JSON: fall through to the helper's message
  }
  return `Cloudflare purge_cache failed: ${f.message}`;
}

export type CloudflareTargets = { files: readonly string[] } | { tags: readonly string[] };

/** Purges files or tags in the fewest requests (≤100 each); the first item's batch goes last. */
export async function cloudflarePurge(cfg: CloudflareConfig, targets: CloudflareTargets, deps: HttpDeps = {}): Promise<ProviderReport> {
  const [mode, items] = "files" in targets ? (["files", targets.files] as const) : (["tags", targets.tags] as const);
  const url = `${cfg.apiUrl}/client/v4/zones/${encodeURIComponent(cfg.zoneId)}/purge_cache`;
  const batches = sendOrder(items, CLOUDFLARE_MAX_PER_REQUEST).map((b) => [b]);
  return runBatches("cloudflare", mode, batches, async (batch): Promise<BatchResult> => {
    const res = await request({
      service: "Cloudflare",
      url,
      method: "POST",
      headers: { authorization: `Bearer ${cfg.apiToken}` },
      body: { [mode]: batch },
      schema: PurgeCacheResponse,
      ...deps,
    });
    if (!res.ok) return { ok: false, error: failureOf(res.error, httpFailureMessage(res.error)) };
    const data = res.value.data;
    if (!data.success) {
      return { ok: false, error: { message: `Cloudflare purge_cache failed: ${describe(data.errors)}`, attempts: res.value.attempts } };
    }
    return ok({ ids: data.result?.id !== undefined ? [data.result.id] : [], attempts: res.value.attempts });
  });
}
