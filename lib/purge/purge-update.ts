/**
 * Purges one repo update from every configured CDN, then checks what users get. Runtime-free:
 * the network, clock and sleep are injected, so the whole flow runs in node tests against
 * local servers.
 *
 * A purge failure is reported (per provider, plus an alert for the channel), never thrown: the
 * publish is already live at the origin and must not fail because a CDN did (anchors §(c)3,
 * flathub/flathub#7819). Idempotency per update_id is the caller's job (see contract.ts).
 */
import type { PurgeConfig } from "./config.js";
import { cloudflarePurge } from "./cloudflare.js";
import type { ProviderReport, PurgeReport, PurgeRequest } from "./contract.js";
import { fastlyPurgeKeys, fastlyPurgeUrls } from "./fastly.js";
import { SUMMARY_SET, mutablePaths, publicUrls, surrogateKey } from "./mutable-paths.js";
import type { HttpDeps } from "./run-batches.js";
import { verifyEdge } from "./verify-edge.js";

export interface PurgeDeps extends HttpDeps {
  now?: () => number;
}

export const NO_PROVIDER = "no CDN provider configured (set FASTLY_* or CLOUDFLARE_*)";

type Purger = (paths: readonly string[]) => Promise<ProviderReport>;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function needsUrl(provider: ProviderReport["provider"], mode: ProviderReport["mode"], repo: string, hint: string): Purger {
  return async () => ({
    provider,
    mode,
    ok: false,
    attempts: 0,
    requests: 0,
    ids: [],
    error: `${provider} ${mode} purge needs the repo's public URL: set public_url for "${repo}" in REPOS or in the request${hint}`,
  });
}

/** One purger per configured provider/mode; each turns repo-relative paths into its own targets. */
function purgers(req: PurgeRequest, config: PurgeConfig, publicUrl: string | undefined, deps: HttpDeps): Purger[] {
  const out: Purger[] = [];
  const keys = (paths: readonly string[]) => paths.map((p) => surrogateKey(req.repo, p));
  const { fastly, cloudflare } = config;
  if (fastly) {
    if (fastly.mode !== "urls") out.push((paths) => fastlyPurgeKeys(fastly, keys(paths), deps));
    if (fastly.mode !== "keys") {
      out.push(publicUrl ? (paths) => fastlyPurgeUrls(fastly, publicUrls(publicUrl, paths), deps) : needsUrl("fastly", "urls", req.repo, " (or FASTLY_PURGE_MODE=keys)"));
    }
  }
  if (cloudflare) {
    if (cloudflare.mode === "tags") out.push((paths) => cloudflarePurge(cloudflare, { tags: keys(paths) }, deps));
    else {
      out.push(publicUrl ? (paths) => cloudflarePurge(cloudflare, { files: publicUrls(publicUrl, paths) }, deps) : needsUrl("cloudflare", "files", req.repo, " (or CLOUDFLARE_PURGE_MODE=tags)"));
    }
  }
  return out;
}

const NAMES = { fastly: "Fastly", cloudflare: "Cloudflare" } as const;

export async function purgeUpdate(req: PurgeRequest, config: PurgeConfig, deps: PurgeDeps = {}): Promise<PurgeReport> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? defaultSleep;
  const http: HttpDeps = { sleep, ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  const { paths } = mutablePaths(req.changed_paths);
  // own properties only: a repo named `constructor` has no public URL (issue 10 item 2)
  const publicUrl = req.public_url ?? (Object.hasOwn(config.publicUrls, req.repo) ? config.publicUrls[req.repo] : undefined);
  const run = purgers(req, config, publicUrl, http);
  if (run.length === 0) return { update_id: req.update_id, skipped: NO_PROVIDER, paths: paths.length, providers: [], alerts: [] };

  // Providers run side by side: each is an independent cache. If one CDN sits in front of the
  // other, the verify step's re-purge fixes an outer cache that refilled from the inner one.
  const startedAt = now();
  const providers = await Promise.all(run.map((p) => p(paths)));
  const report: PurgeReport = { update_id: req.update_id, paths: paths.length, providers, alerts: [] };

  if (publicUrl && config.verify.rounds > 0) {
    try {
      report.verify = await verifyEdge({
        publicUrl,
        expected: req.expected,
        startedAt,
        options: config.verify,
        deps: { sleep, now, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
        // only the summary set: it is what the edge check looks at, and it is one request per provider
        repurge: async () => {
          const again = await Promise.all(run.map((p) => p(SUMMARY_SET)));
          again.forEach((r, i) => {
            const first = providers[i];
            if (!first) return;
            first.attempts += r.attempts;
            first.requests += r.requests;
            first.ids.push(...r.ids);
          });
        },
      });
    } catch (e) {
      report.verify = { ok: false, attempts: 0, signature_mismatch: false, error: `edge verification crashed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  for (const p of providers) {
    if (p.ok) continue;
    const wait = p.retry_after_ms !== undefined ? ` Rate limited: retry after ${Math.ceil(p.retry_after_ms / 1000)} s.` : "";
    report.alerts.push(
      `${NAMES[p.provider]} purge of ${req.repo} failed (update ${req.update_id}, ${p.attempts} attempt(s)): ${p.error ?? "unknown error"}.${wait} The publish is live at the origin; users may get the old summary until the CDN cache expires.`,
    );
  }
  const v = report.verify;
  if (v?.signature_mismatch) {
    report.alerts.push(
      `${req.repo}: the CDN serves a summary and summary.sig that do not match (update ${req.update_id}); users would see "BAD signature" until both are purged. ${v.error ?? ""}`.trim(),
    );
  } else if (v && !v.ok) {
    report.alerts.push(`${req.repo}: the CDN still serves a stale summary after the purge (update ${req.update_id}): ${v.error ?? "unknown error"}`);
  }
  return report;
}
